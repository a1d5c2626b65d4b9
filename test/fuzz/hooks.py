"""Schemathesis hooks for the contract fuzzing run (scripts/fuzz.mjs).

A real sender gives every distinct event its own Idempotency-Key, and resends exactly the same
request when it retries. Schemathesis reuses header values across different bodies (the spec's
example key in every example, small drawn values in fuzzing), which the contract answers,
correctly, with 422: key reused for another event. So just before each call a schema-valid key
is swapped for a fresh one, and the body sent with it is remembered. A call that arrives with a
key already sent is a retry through the RetrySameDelivery link; Schemathesis merges the linked
body into a newly drawn one and draws the other headers anew, so the remembered request is
restored whole, as the link describes: the same request again.
An invalid key (negative testing) is sent as drawn.
"""
import re
import uuid

import schemathesis
from schemathesis.core.parameters import ParameterLocation

VALID_KEY = re.compile(r'^("[\x21\x23-\x7e]{1,256}"|[\x21\x23-\x7e][\x21-\x7e]{0,255})$')
PREFIX = "fuzz-"
SENT = {}  # Idempotency-Key -> (headers, body) as first sent
RETRIED_KEYS = set()


HL7_MEDIA_TYPES = ("application/hl7-v2", "x-application/hl7-v2+er7")
HL7_PATH = "/webhook/appointment/hl7v2"
FHIR_PATH = "/webhook/appointment/fhir"


@schemathesis.serializer(*HL7_MEDIA_TYPES)
def hl7_text(ctx, value):
    """An HL7 v2 body is text: sent as UTF-8; a non-string (negative testing) as its text."""
    if isinstance(value, bytes):
        return value
    return (value if isinstance(value, str) else str(value)).encode("utf-8", "surrogatepass")


@schemathesis.deserializer(*HL7_MEDIA_TYPES)
def hl7_reply(ctx, response):
    """The acknowledgement is checked against its string schema as text."""
    return response.content.decode("utf-8")


def _hl7_escaped(text):
    """Text as an HL7 value: the standard escapes, no segment break, nothing a database refuses."""
    kept = _storable(text)[:300]
    for char, escape in (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\")):
        kept = kept.replace(char, escape)
    return kept


def _storable(text):
    """Text a database stores exactly, on one line: what a positive case may carry as a note."""
    return "".join(c for c in text if c not in "\x00\r\n" and not 0xD800 <= ord(c) <= 0xDFFF)


def _as_storable_appointment(resource):
    """A drawn Appointment made into one a receiver can store: its own short id and version, a
    patient, a storable comment. Status, start and the rest stay as drawn."""
    ident = uuid.uuid4().hex[:20]
    resource["id"] = f"A{ident}"
    resource["meta"] = {"versionId": ident, "lastUpdated": "2025-01-06T09:00:00Z"}
    # The first Patient participant is the patient: this one comes first.
    resource["participant"] = [{"actor": {"reference": f"Patient/P{ident}"}, "status": "accepted"}, *(resource.get("participant") or [])[:10]]
    if isinstance(resource.get("comment"), str):
        resource["comment"] = _storable(resource["comment"])[:1000]
    if resource.get("status") == "booked" and not isinstance(resource.get("start"), str):
        resource["start"] = "2025-01-10T12:30:00Z"


def _siu_message(note):
    """A valid SIU^S12 with the drawn text as its note: what a positive HL7 case sends."""
    ident = uuid.uuid4().hex[:20]
    return "\r".join([
        f"MSH|^~\\&|FUZZ|HOSP|APPTWH|RECEIVER|20250106090000+0000||SIU^S12^SIU_S12|{PREFIX}{ident}|P|2.5.1",
        f"SCH||A{ident}^FUZZ|||||||30|MIN|||||||||||||||Booked",
        f"NTE|1||{_hl7_escaped(note)}",
        f"PID|1||P{ident}^^^HOSP^MR||Doe^Jan",
        "",
    ])


def _positive_body(case):
    return case.body is not None and not case.meta.is_negative_at(ParameterLocation.BODY)


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    # Positive HL7 cases: any text the schema allows is wrapped into a valid message as its note,
    # so the fuzzer checks that such messages are stored (201), not that random text is refused.
    if case.operation.path == HL7_PATH and isinstance(case.body, str) and case.body and _positive_body(case):
        case.body = _siu_message(case.body)
        # MSH-10 is the message's key: an Idempotency-Key, if sent, would have to repeat it.
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "idempotency-key"}
        return
    # Positive FHIR cases likewise: every drawn Appointment made into one that can be stored.
    if case.operation.path == FHIR_PATH and isinstance(case.body, dict) and _positive_body(case):
        if case.body.get("resourceType") == "Bundle" and isinstance(case.body.get("entry"), list) and len(case.body["entry"]) < 100:
            # A notification carries at least one Appointment (or is a handshake, which a drawn one is not).
            case.body["entry"].append({"resource": {"resourceType": "Appointment", "status": "cancelled", "participant": []}})
        resources = [case.body] if case.body.get("resourceType") == "Appointment" else [e.get("resource") for e in case.body.get("entry") or [] if isinstance(e, dict)]
        for resource in resources:
            if isinstance(resource, dict) and resource.get("resourceType") == "Appointment":
                _as_storable_appointment(resource)
    headers = case.headers or {}
    for name in list(headers):
        value = str(headers[name])
        if name.lower() != "idempotency-key" or not VALID_KEY.match(value):
            continue
        if value.startswith(PREFIX) and value in SENT:
            original_headers, original_body = SENT[value]
            case.headers = dict(original_headers)
            case.body = original_body
            RETRIED_KEYS.add(value)
        else:
            headers[name] = f"{PREFIX}{uuid.uuid4()}"
            SENT[headers[name]] = (dict(headers), case.body)
        return


def _idempotency_key(case):
    for name, value in (case.headers or {}).items():
        if name.lower() == "idempotency-key":
            return str(value)
    return None


@schemathesis.check
class RetriedDeliveryIsReplayed:
    """A retry through RetrySameDelivery must get the original event back, marked as a replay.

    Also fails the run if no retry was ever answered, so the stateful phase cannot pass vacuously.
    """

    def __init__(self):
        self.replayed = set()

    def after_response(self, ctx, response, case):
        key = _idempotency_key(case)
        if key not in RETRIED_KEYS or response.status_code in (409, 429, 503):
            return
        if response.status_code != 201 or response.headers.get("idempotent-replayed") not in (["true"], "true"):
            raise AssertionError(f"a retried delivery got {response.status_code} without Idempotent-Replayed: true")
        self.replayed.add(key)

    def after_run(self, ctx):
        if not self.replayed:
            raise AssertionError("no retried delivery was answered as a replay")
