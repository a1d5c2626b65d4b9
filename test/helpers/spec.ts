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

/** Follows a local $ref ('#/components/...') to the schema it names. */
export function resolve(schema: any): any {
  if (!schema?.$ref) return schema;
  const target = String(schema.$ref).replace(/^#\//, '').split('/').reduce((node: any, key: string) => node[key], spec);
  // Keywords beside a $ref (OpenAPI 3.1) add to the schema it names.
  const { $ref: _ref, ...beside } = schema;
  return { ...resolve(target), ...beside };
}

const eventSchema = () => spec.components.schemas.AppointmentEvent;

/** The event types the spec permits, in its order. */
export function eventTypes(): string[] {
  return resolve(eventSchema().properties.event_type).enum;
}

/** Every field of AppointmentEvent, and the required ones. */
export function eventFields(): string[] {
  return Object.keys(eventSchema().properties);
}
export function requiredEventFields(): string[] {
  return eventSchema().required;
}

/** The text fields of AppointmentEvent with the length limits their schemas set. */
export function lengthLimits(): { field: string; minLength?: number; maxLength?: number }[] {
  return Object.entries<any>(eventSchema().properties)
    .map(([field, schema]) => ({ field, ...resolve(schema) }))
    .filter((s) => s.minLength !== undefined || s.maxLength !== undefined)
    .map(({ field, minLength, maxLength }) => ({ field, minLength, maxLength }));
}

/** The fields stored exactly as sent: text under the storable-text rule. */
export function storableTextFields(): string[] {
  return Object.entries<any>(eventSchema().properties)
    .filter(([, schema]) => resolve(schema).format === 'storable-text')
    .map(([field]) => field);
}
