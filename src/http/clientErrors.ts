import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import { errorReply } from './errorTable';

/**
 * Requests Node rejects before the app sees them (unparsable HTTP, oversized headers, a client
 * too slow to send its request) still get the documented envelope rather than Node's bare reply.
 */
export function clientErrorHandler(logger: Logger, retryAfterSeconds: number) {
  return (err: Error & { code?: string }, socket: Duplex): void => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const code =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'request_timeout'
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? 'headers_too_large'
          : 'bad_request';
    const reply = errorReply(new AppError(code), retryAfterSeconds);
    const requestId = randomUUID();
    const body = JSON.stringify(reply.body);
    socket.end(
      `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    logger.warn({ req_id: requestId, status: reply.status, error: code, parser: err.code }, 'request rejected before routing');
  };
}
