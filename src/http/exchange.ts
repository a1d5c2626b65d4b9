import type { Request, Response } from 'express';
import type { Context, Request as OpenApiRequest } from 'openapi-backend';

/** One request on its way through openapi-backend: passed to every hook and handler. */
export interface Exchange {
  req: Request;
  res: Response;
  /** The request as openapi-backend sees it; the decoded body is placed here before validation. */
  request: OpenApiRequest;
  rawBody?: Buffer;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type OperationHandler = (context: Context, exchange: Exchange) => Promise<Reply>;
