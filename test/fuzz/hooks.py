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

VALID_KEY = re.compile(r'^("[\x21\x23-\x7e]{1,256}"|[\x21\x23-\x7e][\x21-\x7e]{0,255})$')
PREFIX = "fuzz-"
SENT = {}  # Idempotency-Key -> (headers, body) as first sent
RETRIED_KEYS = set()


@schemathesis.hook
def before_call(ctx, case, **kwargs):
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
