"""The harmless variations: what a conforming target may show, and the suite must pass."""

from __future__ import annotations

from tests.faults import faults as f
from tests.faults.entry import Entry

# A table written as code: one Entry a fault, alike by design (duplicates lists their shape).
HARMLESS: list[Entry] = [
    Entry(
        f.Rewrite(
            "reversed-key-order",
            "Every JSON object is answered with its keys in reverse order.",
            harmless=True,
            rewrite=f.reverse_key_order,
        )
    ),
    Entry(
        f.Rewrite(
            "charset-parameter",
            "JSON is answered as `application/json; charset=utf-8`.",
            harmless=True,
            rewrite=f.charset_parameter,
        )
    ),
    Entry(
        f.Rewrite(
            "later-documented-fields",
            "Objects carry fields later documents describe (type, backup_count, ...).",
            harmless=True,
            rewrite=f.later_fields,
        )
    ),
    Entry(
        f.Slow(
            "slow-responses",
            "Every response is held back: 0.1 s for a create, 5 ms for anything else.",
            harmless=True,
        ),
        cost=2,
    ),
    Entry(
        f.Rewrite(
            "header-case",
            "Response header names in lower and upper case (content-type, CONTENT-LENGTH).",
            harmless=True,
            rewrite=f.header_case,
        )
    ),
    Entry(
        f.Rewrite(
            "pretty-printed-json",
            "JSON bodies indented over many lines, with a final newline.",
            harmless=True,
            rewrite=f.pretty_printed,
        )
    ),
    Entry(
        f.Busy(
            "busy-then-served",
            "Every fifth request is answered 503 with Retry-After: 0 (shedding load); the retry"
            " is served.",
            harmless=True,
        )
    ),
    Entry(
        f.Busy(
            "rate-limited-then-served",
            "Every seventh request is answered 429 with Retry-After: 0; the retry is served.",
            harmless=True,
            every=7,
            status=429,
        )
    ),
    Entry(
        f.Restatus(
            "state-refusal-answers-409",
            "Reimage and signal refused by the power state answer 409 instead of 400 (the"
            " record gives no status for such a refusal: register refusal-status).",
            harmless=True,
            operations=frozenset({"reimageVirtualMachine", "signalVirtualMachine"}),
            old=400,
            new=409,
            when=f.refused_by_state,
        )
    ),
    Entry(
        f.Retype(
            "vendor-content-type",
            "Single machines are answered as application/vnd.bigv.virtual-machine+json, which"
            " the official Python library accepts (register vendor-media-types).",
            harmless=True,
            operations=frozenset({"getVirtualMachine", "updateVirtualMachine"}),
            statuses=frozenset({200}),
            content_type="application/vnd.bigv.virtual-machine+json",
        )
    ),
    Entry(
        f.Rewrite(
            "extra-response-headers",
            "Responses carry extra headers (Server, X-Request-Id, Cache-Control, X-Runtime).",
            harmless=True,
            rewrite=f.extra_headers,
        )
    ),
]
