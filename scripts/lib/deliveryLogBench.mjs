// The delivery log's cost to receiving: accepted events per second at one concurrency, with the
// log on (the default) and off (DELIVERY_LOG_DAYS=0), in alternating rounds on two databases of
// the same local server, so both see the same noise. Also checks the log kept every request.
import { median } from './stats.mjs';

export async function deliveryLogCost({ service, stopProcess, load, makeBody, MongoClient, allStoredDeliveries, dbUri, log, concurrency, seconds, rounds }) {
  const on = await service('bench_log_on', {}, 'bench-log-on');
  const off = await service('bench_log_off', { DELIVERY_LOG_DAYS: '0' }, 'bench-log-off');
  const runs = { on: [], off: [] };
  try {
    for (let round = 1; round <= rounds; round++) {
      // Alternate which goes first, so neither always runs on a warmer machine.
      const order = round % 2 === 1 ? ['on', 'off'] : ['off', 'on'];
      for (const side of order) {
        log(`bench: delivery log ${side}, round ${round} of ${rounds}...`);
        runs[side].push(await load((side === 'on' ? on : off).url, concurrency, (side === 'on' ? on : off).auth, makeBody, seconds));
      }
    }
  } finally {
    await stopProcess(on.child);
    await stopProcess(off.child);
  }
  // Every request of the "on" side left a record (the service flushed its log as it stopped).
  const client = await MongoClient.connect(dbUri);
  let records;
  try {
    records = (await allStoredDeliveries(client.db('bench_log_on'))).length;
  } finally {
    await client.close();
  }
  const sent = runs.on.reduce((n, r) => n + r.ok + r.other, 0);
  const perSecond = { on: median(runs.on.map((r) => r.perSecond)), off: median(runs.off.map((r) => r.perSecond)) };
  return {
    concurrency,
    seconds,
    rounds,
    perSecondOn: perSecond.on,
    perSecondOff: perSecond.off,
    ratio: +(perSecond.on / perSecond.off).toFixed(3),
    // Each round's on ÷ off: the two ran back to back, so they saw much the same machine.
    pairedRatio: +median(runs.on.map((r, i) => r.perSecond / runs.off[i].perSecond)).toFixed(3),
    p99On: median(runs.on.map((r) => r.p99)),
    p99Off: median(runs.off.map((r) => r.p99)),
    runs,
    answered: sent,
    records,
  };
}
