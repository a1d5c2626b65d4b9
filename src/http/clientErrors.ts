import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { AppError, type ErrorCode } from '../errors';
import { errorReply } from './errorTable';
import type { SentReply } from './replyContract';

/** How an answer written here is made and checked: the configured Retry-After, and the app's reply check. */
export interface SocketAnswers {
  retryAfterSeconds: number;
  witness: (reply: SentReply) => void;
}

/** Writes the envelope straight to a socket the app never saw, and closes it; returns what it sent. */
function answerOnSocket(socket: Duplex, code: ErrorCode, answers: SocketAnswers): { requestId: string; status: number } {
  const reply = errorReply(new AppError(code), answers.retryAfterSeconds);
  const requestId = randomUUID();
  answers.witness({ status: reply.status, contentType: reply.contentType, body: reply.body, headers: { ...reply.headers, 'X-Request-Id': requestId } });
  const body = JSON.stringify(reply.body);
  socket.end(
    `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
  return { requestId, status: reply.status };
}

/**
 * Requests Node rejects before the app sees them (unparsable HTTP, oversized headers, a client
 * too slow to send its request) still get the documented envelope rather than Node's bare reply.
 */
export function clientErrorHandler(logger: Logger, answers: SocketAnswers) {
  return (err: Error & { code?: string }, socket: Duplex): void => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // A reply to an earlier, complete request on this connection is still on its way (the bad
    // bytes were pipelined behind it): answering now would take that reply's place. It is let
    // finish; then the connection closes, and what followed it gets no answer. (A request that is
    // itself incomplete, too slow say, is answered here as before.)
    const inProgress = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (inProgress && !inProgress.writableFinished && inProgress.req.complete) {
      inProgress.once('close', () => socket.destroy());
      logger.warn({ parser: err.code }, 'request rejected before routing, behind a reply in progress');
      return;
    }
    const code: ErrorCode = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request_timeout' : err.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : 'bad_request';
    const { requestId, status } = answerOnSocket(socket, code, answers);
    logger.warn({ req_id: requestId, status, error: code, parser: err.code }, 'request rejected before routing');
  };
}

/** CONNECT asks for a tunnel, which this service never opens: the envelope, then the connection closes. */
export function connectHandler(logger: Logger, answers: SocketAnswers) {
  return (_req: IncomingMessage, socket: Duplex): void => {
    const { requestId, status } = answerOnSocket(socket, 'bad_request', answers);
    logger.warn({ req_id: requestId, status, error: 'bad_request', method: 'CONNECT' }, 'request rejected before routing');
  };
}
