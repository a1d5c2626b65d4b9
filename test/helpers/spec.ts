import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { SPEC_PATH } from '../../src/paths';

 
export const spec: any = parse(readFileSync(SPEC_PATH, 'utf8'));

/** The named request examples of receiveAppointmentEvent: the guide's five scenarios. */
export function scenarioExamples(): [string, Record<string, unknown>][] {
  const examples = spec.paths['/webhook/appointment'].post.requestBody.content['application/json'].examples;
  return Object.entries(examples).map(([name, example]: [string, any]) => [name, example.value as Record<string, unknown>]);
}

export function operationIds(): string[] {
  const ids: string[] = [];
  for (const item of Object.values<any>(spec.paths)) {
    for (const operation of Object.values<any>(item)) {
      if (operation && typeof operation === 'object' && operation.operationId) ids.push(operation.operationId);
    }
  }
  return ids;
}
