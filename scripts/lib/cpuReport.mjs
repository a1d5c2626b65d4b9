// The printed lines of the bench's CPU part (scripts/lib/cpuBench.mjs).

const LABELS = { serviceAccepted: 'service, accepted (201)', service422: 'service, invalid (422)', bare: 'bare node:http (201)', floorAccepted: 'floor, valid (201)', floor422: 'floor, invalid (422)' };

/** The part's lines for the printed report. */
export function cpuLines(cpu) {
  if (!cpu) return [];
  const lines = [
    '',
    `Database ceilings (documents/s) and the service's accepted events/s at ${cpu.connections} connections:`,
    '| writers | insertOne docs/s | insertMany of ' + cpu.batchSize + ' docs/s | service events/s | service ÷ insertOne | service ÷ insertMany |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...cpu.ceilings.map((c) => `| ${c.writers} | ${c.single.perSecond} | ${c.batched.documentsPerSecond} | ${c.serviceAccepted.perSecond} | ${c.serviceAccepted.toSingle} | ${c.serviceAccepted.toBatched} |`),
    '',
    `CPU per request at ${cpu.connections} connections, ${cpu.seconds} s after ${cpu.warmupSeconds} s of warm-up (the server process's user + system time ÷ requests answered):`,
    '| server and path | requests/s | CPU µs per request | off the main thread | in the kernel | read / write syscalls per request | database CPU µs per request | other answers |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...Object.entries(LABELS).filter(([k]) => cpu.servers[k]).map(([k, label]) => {
      const s = cpu.servers[k];
      return `| ${label} | ${s.perSecond} | ${s.cpuMicrosPerRequest} | ${Math.round(s.offMainThreadShare * 100)}% | ${Math.round(s.systemShare * 100)}% | ${s.syscallsPerRequest.reads} / ${s.syscallsPerRequest.writes} | ${s.databaseCpuMicrosPerRequest} | ${s.unexpected + s.errors} |`;
    }),
    '',
    `Ratios of CPU per request: service accepted ÷ floor accepted ${cpu.ratios.acceptedToFloor} (target ≤ ${cpu.targets.acceptedToFloor}), service 422 ÷ floor 422 ${cpu.ratios.rejectedToFloor} (target ≤ ${cpu.targets.rejectedToFloor}), service 422 ÷ service accepted ${cpu.ratios.rejectedToAccepted} (target ≤ 1), floor ÷ bare ${cpu.ratios.floorToBare}.`,
  ];
  if (cpu.ladder) lines.push(...ladderLines(cpu.ladder, cpu.targets));
  return lines;
}

const STEP_LABELS = {
  floor: 'the floor',
  cpu: '+ key, bucket, request id and headers, a log line, metrics',
  store: '+ the event fingerprinted and written before its 201',
  deliveries: '+ a delivery record (the delivery log, on by default)',
};

/** The ladder (scripts/lib/floorLadder.mjs): medians, the ratio of medians, each round's own ratio. */
function ladderLines(ladder, targets) {
  const cell = (p) => (p ? `${p.median ?? '–'} µs, ${p.toFloor ?? '–'} (${p.toFloorByRound.map((r) => r ?? '–').join(', ')})` : 'not measured');
  return [
    '',
    `The floor plus part of what the service may not drop, in its plainest form (scripts/lib/floorParts.mjs), ${ladder.rounds} alternating rounds: median CPU µs per request, then the ratio of medians to the floor's (each round's own ratio). The targets: ${targets.acceptedToFloor} (valid), ${targets.rejectedToFloor} (invalid).`,
    '| step | valid (201) | invalid (422) |',
    '| --- | --- | --- |',
    ...ladder.steps.map((s) => `| ${STEP_LABELS[s.name] ?? s.name} | ${cell(s.byPath['201'])} | ${cell(s.byPath['422'])} |`),
  ];
}
