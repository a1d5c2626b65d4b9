import { createHmac, randomUUID } from 'node:crypto';

/**
 * Signs like a partner would, following the Standard Webhooks text rather than the service's own
 * code, so a shared mistake cannot make both sides agree.
 */
export function signedHeaders(secret: string, body: string, options: { id?: string; timestamp?: number } = {}): Record<string, string> {
  const id = options.id ?? `evt_${randomUUID()}`;
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${hmac(secret, `${id}.${timestamp}.${body}`)}` };
}

export function hmac(secret: string, content: string): string {
  return createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64')).update(content).digest('base64');
}
