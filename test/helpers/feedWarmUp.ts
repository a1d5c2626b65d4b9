import { anEvent } from './builders';
import { aConsumer, read } from './consumers';
import { aPartner } from './partners';
import type { TestApp } from './testApp';
import { sleep } from './time';

/**
 * Resolves once the app's feed has placed an event stored now. On a new database the
 * sequencer's first pass can take seconds on a loaded machine, and the feed loop then rests
 * three times as long (src/store/feedLoop.ts), so a test that waits for the feed within seconds
 * starts after this (in beforeAll, with a timeout to match). The event is a partner's of its own.
 */
export async function feedWarmedUp(app: TestApp, timeoutMs = 60_000): Promise<void> {
  const partner = await aPartner(app.partners);
  const consumer = await aConsumer(app.stores.consumers, { partners: [partner.name] });
  const stored = (await app.post(anEvent(), partner.auth)).body.event_id as number;
  const deadline = Date.now() + timeoutMs;
  let cursor: string | undefined;
  for (;;) {
    const page = await read(app.url, `/feed?limit=500${cursor ? `&after=${cursor}` : ''}`, consumer.auth);
    if (page.body.data.some((event: { event_id: number }) => event.event_id === stored)) return;
    cursor = page.body.next_cursor;
    if (Date.now() > deadline) throw new Error(`the feed placed no event within ${timeoutMs} ms`);
    if (!page.body.has_more) await sleep(50);
  }
}
