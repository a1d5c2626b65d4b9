import type { Loc } from './inputEvent';

/**
 * The notification status at the head of a topic-based subscription notification (a Bundle of
 * type history): the R4 Subscriptions Backport writes it as a `Parameters` resource, R4B as a
 * `SubscriptionStatus`. Both are read into one shape. Pure, and defensive: the request schema
 * checks only the Bundle's outline, so every field here is read as `unknown`.
 */
export interface NotificationStatus {
  /** handshake | heartbeat | event-notification | query-status | query-event, as sent. */
  type: string | undefined;
  /** The subscription's reference, as sent; with an event number it names one event. */
  subscription: string | undefined;
  events: NotificationEvent[];
}

export interface NotificationEvent {
  eventNumber: string | undefined;
  timestamp: string | undefined;
  /** Where the timestamp was found (after "body"). */
  timestampLoc: Loc;
  focus: string | undefined;
}

type Json = Record<string, unknown>;
const NONE: readonly unknown[] = [];

export function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/** A non-empty string (FHIR forbids empty ones; an empty one is read as absent). */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : NONE;
}

/** Event numbers are strings in R4B and the backport, integers in older drafts. */
function eventNumber(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : text(value);
}

/** The status when `resource` is one (undefined otherwise); `loc` is the resource's own location. */
export function readNotificationStatus(resource: unknown, loc: Loc): NotificationStatus | undefined {
  const status = record(resource);
  if (status?.resourceType === 'Parameters') return fromParameters(status, loc);
  if (status?.resourceType === 'SubscriptionStatus') return fromSubscriptionStatus(status, loc);
  return undefined;
}

function fromParameters(resource: Json, loc: Loc): NotificationStatus {
  const status: NotificationStatus = { type: undefined, subscription: undefined, events: [] };
  const parameters = list(resource.parameter);
  for (let p = 0; p < parameters.length; p++) {
    const parameter = record(parameters[p]);
    switch (parameter?.name) {
      case 'type':
        status.type ??= text(parameter.valueCode);
        break;
      case 'subscription':
        status.subscription ??= text(record(parameter.valueReference)?.reference);
        break;
      case 'notification-event':
        status.events.push(eventFromParts(list(parameter.part), [...loc, 'parameter', p, 'part']));
        break;
    }
  }
  return status;
}

function eventFromParts(parts: readonly unknown[], loc: Loc): NotificationEvent {
  const event: NotificationEvent = { eventNumber: undefined, timestamp: undefined, timestampLoc: loc, focus: undefined };
  for (let q = 0; q < parts.length; q++) {
    const part = record(parts[q]);
    switch (part?.name) {
      case 'event-number':
        event.eventNumber ??= eventNumber(part.valueString) ?? eventNumber(part.valueUnsignedInt) ?? eventNumber(part.valueInteger);
        break;
      case 'timestamp':
        if (event.timestamp === undefined && text(part.valueInstant) !== undefined) {
          event.timestamp = part.valueInstant as string;
          event.timestampLoc = [...loc, q, 'valueInstant'];
        }
        break;
      case 'focus':
        event.focus ??= text(record(part.valueReference)?.reference);
        break;
    }
  }
  return event;
}

function fromSubscriptionStatus(resource: Json, loc: Loc): NotificationStatus {
  const events = list(resource.notificationEvent).map((item, k): NotificationEvent => {
    const event = record(item);
    return {
      eventNumber: eventNumber(event?.eventNumber),
      timestamp: text(event?.timestamp),
      timestampLoc: [...loc, 'notificationEvent', k, 'timestamp'],
      focus: text(record(event?.focus)?.reference),
    };
  });
  return { type: text(resource.type), subscription: text(record(resource.subscription)?.reference), events };
}

/** The id (and version, if the reference names one) a reference gives for a resource type. */
export interface Target {
  id: string;
  version: string | undefined;
}

const HISTORY = '/_history/';

/**
 * Reads `Type/id`, `Type/id/_history/v`, or the same at the end of an absolute URL; anything else
 * (another type, a contained `#ref`, a conditional `Type?…`, a `urn:uuid:`) gives undefined.
 * String scanning, not a regex: a reference may be long, and this runs once per participant.
 */
export function referenceTarget(reference: string, type: string): Target | undefined {
  let path = reference;
  let version: string | undefined;
  const history = reference.lastIndexOf(HISTORY);
  if (history >= 0) {
    version = reference.slice(history + HISTORY.length);
    if (version === '' || version.includes('/')) return undefined;
    path = reference.slice(0, history);
  }
  const slash = path.lastIndexOf('/');
  if (slash <= 0 || slash === path.length - 1) return undefined;
  const typeStart = path.lastIndexOf('/', slash - 1) + 1;
  if (slash - typeStart !== type.length || !path.startsWith(type, typeStart)) return undefined;
  // Relative references are exactly `Type/id`; only an absolute URL has a base before the type.
  if (typeStart > 0 && !path.includes('://')) return undefined;
  const id = path.slice(slash + 1);
  return isFhirId(id) && (version === undefined || isFhirId(version)) ? { id, version } : undefined;
}

/** FHIR's id: 1 to 64 of A-Z, a-z, 0-9, '-' and '.' (so no query string or fragment rides along). */
function isFhirId(value: string): boolean {
  if (value.length === 0 || value.length > 64) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46;
    if (!ok) return false;
  }
  return true;
}

/**
 * Pairs Appointment entries with the notification events that focus them. Each event is given
 * to one entry at most, in entry order, so two entries for the same appointment (two versions)
 * take two events rather than both taking the first.
 */
export class FocusIndex {
  private readonly byKey = new Map<string, NotificationEvent[]>();
  private readonly taken = new Set<NotificationEvent>();

  constructor(events: readonly NotificationEvent[]) {
    for (const event of events) {
      if (event.focus === undefined) continue;
      this.add(event.focus, event);
      const target = referenceTarget(event.focus, 'Appointment');
      if (!target) continue;
      if (target.version !== undefined) this.add(`Appointment/${target.id}${HISTORY}${target.version}`, event);
      this.add(`Appointment/${target.id}`, event);
    }
  }

  private add(key: string, event: NotificationEvent): void {
    const events = this.byKey.get(key);
    if (events) events.push(event);
    else this.byKey.set(key, [event]);
  }

  /** The first untaken event focusing the entry: by full URL, then by id and version, then by id. */
  take(fullUrl: string | undefined, id: string | undefined, version: string | undefined): NotificationEvent | undefined {
    if (this.byKey.size === 0) return undefined;
    const fromUrl = fullUrl === undefined ? undefined : referenceTarget(fullUrl, 'Appointment');
    const key = id ?? fromUrl?.id;
    const keys = [fullUrl, key !== undefined && version !== undefined ? `Appointment/${key}${HISTORY}${version}` : undefined, key === undefined ? undefined : `Appointment/${key}`];
    for (const k of keys) {
      const event = k === undefined ? undefined : this.byKey.get(k)?.find((e) => !this.taken.has(e));
      if (event) {
        this.taken.add(event);
        return event;
      }
    }
    return undefined;
  }
}
