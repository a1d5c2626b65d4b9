/** The reading side of the benchmark (report.feed, report.reads), as lines for the printed summary. */
export function readingLines(report) {
  const lines = [];
  const f = report.feed;
  if (f) {
    lines.push(
      '',
      `Feed while writing (concurrency ${f.concurrency}, ${f.seconds} s per run, a fresh database each): writes alone ${f.writesAlonePerSecond} events/s, ` +
        `with one feed reader ${f.writesWithReaderPerSecond} (with reader ÷ alone: ${f.withReaderToAlone}); ` +
        `with the feed sequencer held off ${f.writesSequencerHeldOffPerSecond} (alone ÷ held off: ${f.aloneToSequencerHeldOff}).`,
    );
    for (const r of f.runs) {
      const cpu = Object.entries(r.cpuSeconds).map(([name, s]) => `${name} ${s}`).join(', ');
      let line = `- ${r.variant}: ${r.writes.perSecond} events/s (p50 ${r.writes.p50} / p99 ${r.writes.p99} ms, ${r.writes.other} non-2xx, ${r.writes.errors} errors); CPU s: ${cpu}`;
      if (r.feed) {
        const d = r.feed.delayMs;
        line +=
          `; feed read ${r.feed.readWhileWritingPerSecond} events/s while writing in ${r.feed.requests} requests (each p50 ${r.feed.requestMs.p50} / p95 ${r.feed.requestMs.p95} ms), ` +
          `delay from 201 to seen p50 ${d.p50} / p95 ${d.p95} / max ${d.max} ms; ` +
          `drained ${r.feed.drainMs === null ? 'NOT within the bound' : `${r.feed.drainMs} ms after the writers stopped`}; ` +
          `${r.feed.acknowledged} acknowledged, ${r.feed.missing} missing, ${r.feed.seenTwice} seen twice, positions ${r.feed.positionsInOrder ? 'in order' : 'OUT OF ORDER'}: ` +
          `${r.feed.exactlyOnce ? 'exactly once' : 'NOT exactly once'}`;
      }
      lines.push(`${line}.`);
    }
  }
  const r = report.reads;
  if (r) {
    lines.push(
      '',
      `Reads with ${r.events} stored events (${r.appointments} appointments of one partner; events and feed chunks loaded in ${(r.loadMs / 1000).toFixed(1)} s, ` +
        `service ready on them in ${(r.startMs / 1000).toFixed(1)} s), one request at a time:`,
    );
    const kinds = { appointment: 'GET /appointments/{partner}/{id}', eventsOfAppointment: 'GET /events?appointment_id&partner&limit=100', eventById: 'GET /events/{id}', feedPage: 'GET /feed?after=<random position>&limit=100' };
    for (const [kind, name] of Object.entries(kinds)) {
      const k = r[kind];
      if (!k) continue;
      const statuses = Object.entries(k.statuses).map(([status, n]) => `${n}× ${status}`).join(', ');
      lines.push(`- ${name}: p50 ${k.p50} / p95 ${k.p95} / max ${k.max} ms over ${k.n} (${statuses}${k.wrong ? `, ${k.wrong} WRONG` : ''}).`);
    }
    const w = r.nextWrite;
    if (w) lines.push(`- The next write: ${w.status}, event_id ${w.eventId} (${w.eventId === w.expected ? 'numbering continues after the loaded events' : `expected ${w.expected}`}).`);
  }
  return lines;
}
