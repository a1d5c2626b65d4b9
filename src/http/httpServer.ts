import { createServer, type RequestListener, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { clientErrorHandler, connectHandler, type SocketAnswers } from './clientErrors';

/** The node:http server in front of the app, with the timeouts and the answers it gives before the app sees a request. */
export function createHttpServer(
  app: { listener: RequestListener; witnessUnrouted: SocketAnswers['witness'] },
  config: Pick<Config, 'requestTimeoutMs' | 'retryAfterSeconds'>,
  logger: Logger,
): Server {
  const server = createServer(
    {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: Math.min(config.requestTimeoutMs, 60000),
      // Node checks those timeouts on this interval (30 s by default), which would stretch them.
      connectionsCheckingInterval: Math.min(1000, config.requestTimeoutMs),
      // Node would answer a request without Host with a bare 400; the app answers in the envelope.
      requireHostHeader: false,
    },
    app.listener,
  );
  const answers = { retryAfterSeconds: config.retryAfterSeconds, witness: app.witnessUnrouted };
  server.on('clientError', clientErrorHandler(logger, answers));
  server.on('connect', connectHandler(logger, answers));
  // Node answers `Expect: 100-continue` itself, before the app has checked anything, unless
  // the app takes the request: then 100 Continue is sent only when the body is wanted
  // (rawBodyOf), after authentication. Other expectations are ignored, as RFC 9110 allows.
  server.on('checkContinue', app.listener);
  server.on('checkExpectation', app.listener);
  return server;
}
