import type { Response } from 'express';
import { stringify } from 'yaml';

/** A reply as it goes on the wire: a handler's, or a refusal in the route's format. */
export interface WireReply {
  status: number;
  contentType: string;
  headers?: Record<string, string | undefined>;
  body: unknown;
  mediaTypeParameters?: string;
}

/** YAML of a body that never changes once made (the published spec), written once. */
const yamlTexts = new WeakMap<object, string>();
function asYaml(body: object): string {
  let text = yamlTexts.get(body);
  if (text === undefined) yamlTexts.set(body, (text = stringify(body)));
  return text;
}

/** Writes a reply's body in its media type (the status and headers are set already). */
export function writeReply(res: Response, reply: WireReply): void {
  if (reply.contentType === 'application/json') {
    // Most replies: written straight to node:http, as express's res.json would, without its
    // media-type lookups (no ETag is sent, so there is no freshness to check; HEAD sends no body).
    const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(text));
    res.end(text);
  }
  else if (reply.contentType === 'application/yaml') res.type('application/yaml; charset=utf-8').send(asYaml(reply.body as object));
  else if (reply.contentType.endsWith('+json')) res.type(`${reply.contentType}; charset=utf-8`).send(JSON.stringify(reply.body));
  else res.type(`${reply.contentType}${reply.mediaTypeParameters ?? '; charset=utf-8'}`).send(reply.body);
}
