/**
 * Reply<Op> is derived from the spec: the @ts-expect-error lines below must stay errors, or the
 * type check (npm run typecheck, and ts-jest here) fails. The assertions pin the values as sent.
 */
import type { Reply, RequestBody } from '../../src/http/reply';

describe('Reply types from the spec', () => {
  test('when a handler builds a declared reply, then it compiles; an undeclared status, body or header does not', () => {
    const declared: Reply<'getLiveness'> = { status: 200, contentType: 'application/json', body: { status: 'ok' } };
    // @ts-expect-error 201 is not declared for getLiveness
    const undeclaredStatus: Reply<'getLiveness'> = { status: 201, contentType: 'application/json', body: { status: 'ok' } };
    // @ts-expect-error HealthStatus.status is the constant "ok"
    const wrongBody: Reply<'getLiveness'> = { status: 200, contentType: 'application/json', body: { status: 'fine' } };
    // @ts-expect-error no such header is declared for this response
    const undeclaredHeader: Reply<'getLiveness'> = { status: 200, contentType: 'application/json', body: { status: 'ok' }, headers: { 'X-Debug': '1' } };
    // @ts-expect-error the docs page is declared as text/html only
    const wrongMediaType: Reply<'getDocs'> = { status: 200, contentType: 'application/json', body: '<html>' };
    const replayed: Reply<'receiveAppointmentEvent'>['headers'] = { 'Idempotent-Replayed': 'true' };
    expect([declared, undeclaredStatus, wrongBody, undeclaredHeader, wrongMediaType].map((r) => r.status)).toEqual([200, 201, 200, 200, 200]);
    expect(replayed).toEqual({ 'Idempotent-Replayed': 'true' });
  });

  test('when an operation takes a body, then the handler gets the spec\'s type; without one, undefined', () => {
    const event: RequestBody<'receiveAppointmentEvent'> = { event_type: 'appointment.scheduled', appointment_id: 'A', patient_id: 'P', timestamp: '2025-01-10T12:30:00Z' };
    // @ts-expect-error event_type must be one of the spec's
    const wrong: RequestBody<'receiveAppointmentEvent'> = { ...event, event_type: 'appointment.moved' };
    const none: RequestBody<'getLiveness'> = undefined;
    expect([event.event_type, wrong.event_type, none]).toEqual(['appointment.scheduled', 'appointment.moved', undefined]);
  });
});
