/**
 * The service's whole error vocabulary, and the one place it is written down: each code's status,
 * message and retry advice, and each error item `type` with what it means and what the sender
 * should do. The guide's error catalogue (docs/error-catalogue.md) is generated from this file
 * (npm run generate), and the tests check it has not drifted. Text in %%…%% is filled in from the
 * running configuration when the docs are served (see src/http/docValues.ts).
 *
 * This file imports nothing, so the generator can load it on its own.
 */

export type Retry = 'no' | 'with backoff' | 'after Retry-After';

/** Every error code: its HTTP status, the envelope's fixed `message`, when it happens and whether to retry. */
export const ERROR_CODES = {
  malformed_json: { status: 400, message: 'Malformed JSON body', retry: 'no', when: 'The body is not UTF-8 JSON, or breaks the JSON rules (a repeated name, a reserved name, nesting deeper than %%JSON_MAX_DEPTH%%).' },
  bad_request: { status: 400, message: 'Malformed request', retry: 'no', when: 'The HTTP message itself cannot be parsed, or an HTTP/1.1 request has no Host header.' },
  invalid_query: { status: 400, message: 'Invalid query', retry: 'no', when: 'A query or path parameter of a read is malformed or out of range, or a cursor was not issued for this query.' },
  unauthorized: { status: 401, message: 'Unauthorized', retry: 'no', when: 'No valid API key or consumer token, or no valid signature from a partner that signs.' },
  forbidden: { status: 403, message: 'Forbidden', retry: 'no', when: 'The consumer token is valid but may not read this partner\'s events.' },
  not_found: { status: 404, message: 'Not found', retry: 'no', when: 'No such path, or no such event or appointment.' },
  method_not_allowed: { status: 405, message: 'Method not allowed', retry: 'no', when: 'The path does not support the method; `Allow` lists those it does.' },
  request_timeout: { status: 408, message: 'Request timeout', retry: 'with backoff', when: 'The request did not arrive completely within %%REQUEST_TIMEOUT%%.' },
  idempotency_in_progress: { status: 409, message: 'The same event is still being stored', retry: 'after Retry-After', when: 'An earlier delivery with the same idempotency key is still being written.' },
  payload_too_large: { status: 413, message: 'Payload too large', retry: 'no', when: 'The body is larger than %%BODY_LIMIT%%.' },
  unsupported_media_type: { status: 415, message: 'Unsupported media type', retry: 'no', when: 'The body is not sent uncompressed, in UTF-8, as a media type the route takes (`application/json` for JSON events).' },
  invalid_payload: { status: 422, message: 'Invalid payload structure', retry: 'no', when: 'The event breaks the field rules, or an idempotency header is malformed or disagrees with the signed `webhook-id`.' },
  idempotency_key_reused: { status: 422, message: 'Idempotency key already used for a different event', retry: 'no', when: 'The idempotency key names an event already stored with other content.' },
  rate_limited: { status: 429, message: 'Too many requests', retry: 'after Retry-After', when: 'Over your rate limit, or over a budget of failed authentications (see Rate limits).' },
  headers_too_large: { status: 431, message: 'Request header fields too large', retry: 'no', when: 'The request headers are larger than %%HEADER_LIMIT%% in all.' },
  internal: { status: 500, message: 'Internal server error', retry: 'with backoff', when: 'An unexpected failure on our side; the event may not be stored.' },
  malformed_message: { status: 400, message: 'Malformed message', retry: 'no', when: 'An HL7 v2 body is not UTF-8, or is not a message: no `MSH` segment first, or encoding characters that cannot be read.' },
  not_implemented: { status: 501, message: 'Not implemented', retry: 'no', when: 'The body is sent with a transfer coding other than `chunked`.' },
  database_unavailable: {
    status: 503,
    message: 'Service temporarily unavailable',
    retry: 'after Retry-After',
    when: 'The database did not confirm the write within %%DB_TIMEOUT%%, too many events are waiting for it, or the receiver is stopping.',
  },
} as const satisfies Record<string, { status: number; message: string; retry: Retry; when: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Every error item `type` the service sends: the codes it comes under, what it means, what to do. */
export const ERROR_TYPES = {
  'value_error.missing': { codes: ['invalid_payload', 'bad_request'], meaning: 'A required field, the body, or (for HTTP/1.1) the Host header is missing.', action: 'Send it.' },
  'type_error.dict': { codes: ['invalid_payload'], meaning: 'The body is not a JSON object.', action: 'Send one event as one JSON object.' },
  'type_error.str': { codes: ['invalid_payload', 'invalid_query'], meaning: 'A field that must be text is a number, a boolean, an object, an array or `null`.', action: 'Send it as a JSON string; nothing is converted.' },
  'type_error.integer': { codes: ['invalid_payload', 'invalid_query'], meaning: 'A value that must be a whole number is not one.', action: 'Send a whole number.' },
  'type_error.invalid': { codes: ['invalid_payload', 'invalid_query'], meaning: 'A value has a JSON type the field does not take (`msg` names the one it takes).', action: 'Send the type `msg` names.' },
  'type_error.enum': { codes: ['invalid_payload', 'invalid_query'], meaning: 'The value is not one of those permitted; `ctx.enum_values` lists them.', action: 'Send one of the permitted values.' },
  'value_error.any_str.max_length': { codes: ['invalid_payload', 'invalid_query'], meaning: 'The text is longer than allowed; `ctx.limit_value` is the limit in characters.', action: 'Shorten it.' },
  'value_error.any_str.min_length': { codes: ['invalid_payload', 'invalid_query'], meaning: 'The text is shorter than allowed (an empty identifier, say); `ctx.limit_value` is the minimum.', action: 'Send a value.' },
  'value_error.str.regex': { codes: ['invalid_payload', 'invalid_query'], meaning: 'The text does not match the pattern in `ctx.pattern`.', action: 'Send text that matches it.' },
  'value_error.format': { codes: ['invalid_payload', 'invalid_query'], meaning: 'The text is not in the format the field declares.', action: 'Send it in that format.' },
  'value_error.invalid': { codes: ['invalid_payload', 'invalid_query'], meaning: 'The value breaks another rule of its schema.', action: 'Check the field against the schema.' },
  'value_error.datetime': { codes: ['invalid_payload', 'invalid_query'], meaning: '`timestamp` is not an RFC 3339 date-time with a zone, or names a date or time that does not exist (second 60, hour 24).', action: 'Send, for example, `2025-01-10T12:30:00Z`.' },
  'value_error.str.unstorable': { codes: ['invalid_payload', 'invalid_query'], meaning: 'Text holds U+0000 or an unpaired surrogate escape, which no database stores exactly.', action: 'Remove the character.' },
  'value_error.idempotency_key.format': { codes: ['invalid_payload'], meaning: '`Idempotency-Key` is not 1 to 256 visible ASCII characters, bare or in double quotes.', action: 'Send a valid key, or none.' },
  'value_error.idempotency_key.mismatch': { codes: ['invalid_payload'], meaning: 'A signed request carries an `Idempotency-Key` other than its `webhook-id`.', action: 'Send no `Idempotency-Key` on signed requests, or the same value.' },
  'value_error.idempotency_key_reused': { codes: ['idempotency_key_reused'], meaning: 'This idempotency key already names a different event.', action: 'Use a new key for a new event; send the same body with the same key.' },
  'value_error.jsondecode': { codes: ['malformed_json'], meaning: 'The body is not valid UTF-8, or not valid JSON.', action: 'Send the JSON your library produces, unchanged.' },
  'value_error.jsondecode.duplicate_key': { codes: ['malformed_json'], meaning: 'An object in the body repeats a name.', action: 'Send each name once.' },
  'value_error.jsondecode.forbidden_key': { codes: ['malformed_json'], meaning: 'A name is `__proto__`, `constructor` or `prototype`, or starts with `$`.', action: 'Rename or drop the field.' },
  'value_error.jsondecode.too_deep': { codes: ['malformed_json'], meaning: 'The body nests objects or arrays more than %%JSON_MAX_DEPTH%% levels deep.', action: 'Flatten it.' },
  'value_error.body.length': { codes: ['malformed_json'], meaning: 'The body is not as long as `Content-Length` says.', action: 'Let your HTTP library set the length.' },
  'value_error.body.max_size': { codes: ['payload_too_large'], meaning: 'The body is larger than the limit in `ctx.limit_value` (bytes).', action: 'Send a smaller event; shorten `notes`.' },
  'value_error.content_type': { codes: ['unsupported_media_type'], meaning: 'The body is not declared as a media type of the route (`application/json` for JSON events; see the HL7 v2 and FHIR parts for theirs) in UTF-8, or is compressed.', action: 'Send the route\'s `Content-Type`, uncompressed.' },
  'value_error.transfer_encoding': { codes: ['not_implemented'], meaning: 'A transfer coding other than `chunked` was used.', action: 'Send the body plain or chunked.' },
  'value_error.hl7.parse': { codes: ['malformed_message'], meaning: 'The HL7 v2 body is not UTF-8 text, does not start with an `MSH` segment, or declares encoding characters (MSH-1, MSH-2) that cannot be read.', action: 'Send one ER7 message, `MSH` first, in UTF-8.' },
  'value_error.hl7.message_type': { codes: ['invalid_payload'], meaning: 'MSH-9 names a message type other than `SIU`.', action: 'Send SIU scheduling messages only; other types are not appointment events.' },
  'value_error.hl7.trigger_event': { codes: ['invalid_payload'], meaning: 'MSH-9.2 is an SIU trigger this receiver does not map (see the HL7 v2 table); `ctx.enum_values` lists those it does.', action: 'Send S12, S13, S14, S15, S17 or S26, or filter other triggers out.' },
  'value_error.hl7.version': { codes: ['invalid_payload'], meaning: 'MSH-12 names an HL7 version this receiver does not read; `ctx.enum_values` lists those it does.', action: 'Send a version from the list.' },
  'value_error.hl7.charset': { codes: ['invalid_payload'], meaning: 'MSH-18 declares a character set other than ASCII or UTF-8.', action: 'Send the message in UTF-8 and declare `UNICODE UTF-8` (or leave MSH-18 empty).' },
  'value_error.hl7.processing_id': { codes: ['invalid_payload'], meaning: 'MSH-11 marks a training or debugging message (not `P`), sent with a live key: it would be stored as a real patient\'s appointment.', action: 'Send such messages with a test key, or mark production messages `P`.' },
  'value_error.hl7.segment_missing': { codes: ['invalid_payload'], meaning: 'A segment the event needs (`SCH`, `PID`) is not in the message.', action: 'Send the segment.' },
  'value_error.hl7.timestamp': { codes: ['invalid_payload'], meaning: 'The event time (EVN-6, EVN-2 or MSH-7) is not an HL7 date/time to the minute at least, or names a date or time that does not exist.', action: 'Send `YYYYMMDDHHMM[SS[.S…]]` with its offset.' },
  'value_error.hl7.timestamp_zone': { codes: ['invalid_payload'], meaning: 'The event time has no UTC offset, so the instant it names is unknown.', action: 'Add the offset (`+HHMM` or `-HHMM`) to the time.' },
  'value_error.hl7.filler_status': { codes: ['invalid_payload'], meaning: 'An S14 carries a filler status (SCH-25) that is no appointment event, such as `Blocked`.', action: 'Do not send S14 for blocked slots.' },
  'value_error.fhir.duplicate_entry': { codes: ['invalid_payload'], meaning: 'Two entries of one notification carry the same appointment version with different content.', action: 'Send each version once.' },
  'value_error.number.not_ge': { codes: ['invalid_query'], meaning: 'The number is below the minimum in `ctx.limit_value`.', action: 'Send a larger number.' },
  'value_error.number.not_le': { codes: ['invalid_query'], meaning: 'The number is above the maximum in `ctx.limit_value`.', action: 'Send a smaller number.' },
  'value_error.list.max_items': { codes: ['invalid_query', 'invalid_payload'], meaning: 'The parameter is repeated, or a list in the body has items, more often than `ctx.limit_value` allows.', action: 'Send fewer values.' },
  'value_error.cursor': { codes: ['invalid_query'], meaning: 'The cursor is not of the form this receiver issues (the pattern check names such a cursor first).', action: 'Send `next_cursor` back unchanged.' },
  'not_found.event': { codes: ['not_found'], meaning: 'No stored event has this `event_id` (or your token may not read it).', action: 'Check the id against the 201 reply or the feed.' },
  'not_found.appointment': { codes: ['not_found'], meaning: 'No event of this partner names this appointment (yet: a new event reaches the state within the feed\'s delay).', action: 'Check the partner and the appointment id.' },
  'auth_error.partner_not_allowed': { codes: ['forbidden'], meaning: 'The consumer token is limited to other partners.', action: 'Ask for events of the partners your token covers, or for a token that covers this one.' },
  'auth_error.missing_key': { codes: ['unauthorized'], meaning: 'No API key was sent.', action: 'Send `Authorization: Bearer <key>` or `X-API-Key: <key>`.' },
  'auth_error.malformed_key': { codes: ['unauthorized'], meaning: 'The header is not `Bearer <key>`, or `X-API-Key` is empty or holds several values.', action: 'Send the key in one of the two forms.' },
  'auth_error.multiple_keys': { codes: ['unauthorized'], meaning: 'More than one key or token: a repeated header, or `Authorization` and `X-API-Key` naming different keys.', action: 'Send one key.' },
  'auth_error.invalid_key': { codes: ['unauthorized'], meaning: 'The key or token is unknown, revoked or past its grace period, or is not the kind this route takes (a partner key on a read route, a consumer token on delivery).', action: 'Use your current key; ask us if it should work.' },
  'auth_error.signature_missing': { codes: ['unauthorized'], meaning: 'This partner signs, and `webhook-id`, `webhook-timestamp` or `webhook-signature` is missing.', action: 'Sign every request.' },
  'auth_error.webhook_id_invalid': { codes: ['unauthorized'], meaning: '`webhook-id` is not 1 to 256 visible ASCII characters.', action: 'Send a valid id.' },
  'auth_error.timestamp_invalid': { codes: ['unauthorized'], meaning: '`webhook-timestamp` is not whole seconds since the Unix epoch.', action: 'Send the current Unix time.' },
  'auth_error.timestamp_out_of_range': { codes: ['unauthorized'], meaning: '`webhook-timestamp` is more than %%SIGNATURE_TOLERANCE%% from the receiver\'s clock.', action: 'Sign each attempt afresh; check your clock.' },
  'auth_error.signature_mismatch': { codes: ['unauthorized'], meaning: 'No signature in `webhook-signature` matches the request.', action: 'Sign `{webhook-id}.{webhook-timestamp}.{body}` over the exact bytes sent, with the current secret.' },
  rate_limit_exceeded: { codes: ['rate_limited'], meaning: 'Over a limit; `ctx.policy` names it, with its rate and burst.', action: 'Wait `Retry-After` seconds, then send the same request again.' },
} as const satisfies Record<string, { codes: readonly ErrorCode[]; meaning: string; action: string }>;

export type ErrorType = keyof typeof ERROR_TYPES;

/** The item types an error of code C may carry. */
export type ErrorTypeOf<C extends ErrorCode> = { [T in ErrorType]: C extends (typeof ERROR_TYPES)[T]['codes'][number] ? T : never }[ErrorType];
