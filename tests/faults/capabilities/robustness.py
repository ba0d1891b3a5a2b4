"""The faults that break robustness: a server error on odd input (robustness)."""

from __future__ import annotations

from tests.faults import faults as f
from tests.faults.entry import CREATE, GET, PUT, SERVER_ERROR, Entry, on

# A table written as code: one Entry a fault, alike by design (duplicates lists their shape).
ROBUSTNESS: list[Entry] = [
    Entry(
        f.ServerErrorOn(
            "server-error-on-non-ascii",
            "Any request with a non-ASCII character in its body, path or query answers 500.",
            "robustness: unusual input is refused (4xx), never a crash (5xx)",
            unusual=f.non_ascii,
        ),
        (on(CREATE, SERVER_ERROR), on(PUT, SERVER_ERROR), on(GET, SERVER_ERROR)),
    ),
    Entry(
        f.ServerErrorOn(
            "server-error-on-long-string",
            "Any request body with a string over 63 characters answers 500.",
            "robustness: a too-long value is refused (400), never a crash (5xx)",
            unusual=f.long_string,
        ),
        (on(CREATE, SERVER_ERROR), on(PUT, SERVER_ERROR), on(GET, SERVER_ERROR)),
    ),
    Entry(
        f.ServerErrorOn(
            "server-error-on-non-object-body",
            "A request body that is JSON but not an object (or not JSON) answers 500.",
            "robustness: a body of the wrong type is refused (400), never a crash (5xx)",
            unusual=f.not_an_object,
        ),
        (on(CREATE, SERVER_ERROR), on(PUT, SERVER_ERROR), on(GET, SERVER_ERROR)),
    ),
]
