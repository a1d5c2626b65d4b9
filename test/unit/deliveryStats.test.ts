import { fromDeliveryDocument, toDeliveryDocument, type DeliveryRecord } from '../../src/store/deliveryDocument';
import { STEP_MS, statsIncrements, summarise, type StatsDocument } from '../../src/store/deliveryStats';

const now = new Date('2026-11-29T12:02:00Z');

function aRecord(overrides: Partial<DeliveryRecord> = {}): DeliveryRecord {
  return {
    request_id: '00000000-0000-4000-8000-000000000001',
    received_at: now,
    operation: 'receiveAppointmentEvent',
    partner: 'acme',
    mode: 'live',
    client_address: null,
    status: 201,
    errors: [],
    idempotency: 'payload',
    event_id: 1,
    replayed: false,
    latency_ms: 1,
    ...overrides,
  };
}

function aStep(minutesAgo: number, counts: Partial<StatsDocument>): StatsDocument {
  const start = new Date(Math.floor((now.getTime() - minutesAgo * 60_000) / STEP_MS) * STEP_MS);
  return { _id: `${start.getTime()}|acme|live`, start, partner: 'acme', mode: 'live', ...counts };
}

describe('delivery counts', () => {
  test('when records of one step are counted, then each outcome is one increment and a refusal counts once per error type', () => {
    const [group, ...others] = statsIncrements([
      aRecord(),
      aRecord({ replayed: true }),
      aRecord({ status: 422, errors: [{ loc: ['body', 'a'], type: 'value_error.missing' }, { loc: ['body', 'b'], type: 'value_error.missing' }] }),
      aRecord({ status: 429, errors: [{ loc: ['header', 'authorization'], type: 'rate_limit.exceeded' }] }),
      aRecord({ status: 503 }),
    ]);
    expect(others).toEqual([]);
    expect(group!.start.getTime() % STEP_MS).toBe(0);
    expect(group!.inc).toEqual({ accepted: 1, replayed: 1, refused: 2, failed: 1, 'types.value_error~missing': 1, 'types.rate_limit~exceeded': 1 });
  });

  test('when records fall in different steps, partners or modes, then each gets its own document', () => {
    const groups = statsIncrements([aRecord(), aRecord({ received_at: new Date(now.getTime() - STEP_MS) }), aRecord({ partner: 'other' }), aRecord({ mode: 'test' }), aRecord({ partner: null, mode: null })]);
    expect(new Set(groups.map((g) => g._id)).size).toBe(5);
  });

  test('when steps are summarised, then the last hour is its last 12 steps, the last day its 288, and older ones are left out', () => {
    const summary = summarise([aStep(0, { accepted: 1 }), aStep(54, { accepted: 2, refused: 1, types: { 'value_error~missing': 1 } }), aStep(65, { accepted: 4 }), aStep(60 * 24 + 5, { accepted: 100 })], ['acme', 'quiet'], now);
    const acme = summary.partners.find((p) => p.partner === 'acme');
    expect(acme?.last_hour).toEqual({ accepted: 3, replayed: 0, refused: 1, failed: 0, success_rate: 0.75 });
    expect(acme?.last_day.accepted).toBe(7);
    expect(summary.partners.find((p) => p.partner === 'quiet')?.last_day.success_rate).toBeNull();
    expect(summary.refusals).toEqual([{ type: 'value_error.missing', last_hour: 1, last_day: 1 }]);
  });

  test('when rows are listed, then partners come by name, live before test, and unnamed clients last', () => {
    const steps = [{ ...aStep(0, { refused: 1 }), partner: null, mode: null }, { ...aStep(0, { accepted: 1 }), mode: 'test' as const }];
    const order = summarise(steps, ['acme', 'beta'], now).partners.map((p) => `${p.partner}/${p.mode}`);
    expect(order).toEqual(['acme/live', 'acme/test', 'beta/live', 'null/null']);
  });

  test('when a plain 201 is stored, then only what differs from the usual is written, and reading it back gives the whole record', () => {
    const plain = aRecord();
    expect(Object.keys(toDeliveryDocument(plain)).sort()).toEqual(['_id', 'event_id', 'idempotency', 'latency_ms', 'partner', 'received_at', 'request_id', 'status']);
    const unusual = aRecord({ partner: null, mode: null, client_address: '10.0.0.1', status: 401, errors: [{ loc: ['header', 'authorization'], type: 'auth_error.invalid_key' }], idempotency: null, event_id: null });
    for (const record of [plain, unusual, aRecord({ mode: 'test', replayed: true })]) expect(fromDeliveryDocument(toDeliveryDocument(record))).toEqual(record);
  });
});
