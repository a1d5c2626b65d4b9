import type { ContractViolation } from '../../src/http/replyContract';

/** Replies that broke openapi.yaml since the last check, from every app this test file started. */
const violations: ContractViolation[] = [];

export function recordViolation(violation: ContractViolation): void {
  violations.push(violation);
}

/** Returns the violations recorded so far and forgets them. */
export function takeViolations(): ContractViolation[] {
  return violations.splice(0);
}
