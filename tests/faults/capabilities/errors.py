"""The faults that break the error answers: validation (errors.validation) and unknown objects
(errors.not-found)."""

from __future__ import annotations

from tests.faults import faults as f
from tests.faults.entry import (
    ACTION_400,
    ALL_VM,
    CONTENT_TYPE,
    CREATE,
    CREATE_400,
    FOREIGN_HIDDEN,
    GET,
    NOT_FOUND,
    PUT,
    SCHEMA,
    SIGNAL,
    STATUS,
    UPDATE_400,
    WRONG_CONTENT_TYPE,
    Entry,
    on,
    scenario,
)

# A table written as code: one Entry a fault, alike by design (duplicates lists their shape).
ERRORS: list[Entry] = [
    Entry(
        f.Restatus(
            "not-found-answers-400",
            "An unknown account, group or machine answers 400 instead of 404.",
            "errors.not-found: unknown objects give 404",
            operations=ALL_VM
            | {"reimageVirtualMachine", "signalVirtualMachine", "deleteVirtualMachine"},
            old=404,
            new=400,
            body={"base": ["not found"]},
        ),
        (scenario(NOT_FOUND), on(GET, STATUS)),
    ),
    Entry(
        f.AnyContentType(
            "request-content-type-ignored",
            "A request body is read as JSON whatever its Content-Type: never 415.",
            "errors.validation: a body must come as application/json (else 400 or 415)",
        ),
        (scenario(WRONG_CONTENT_TYPE),),
    ),
    Entry(
        f.Retype(
            "validation-error-as-text",
            "400 validation errors are answered as one line of text/plain, not a JSON hash.",
            "errors.validation: 400 bodies are a JSON field hash",
            operations=ALL_VM | {"reimageVirtualMachine", "signalVirtualMachine"},
            statuses=frozenset({400}),
            text_body=True,
        ),
        (on(PUT, CONTENT_TYPE), on(CREATE, CONTENT_TYPE), scenario(UPDATE_400, CONTENT_TYPE)),
    ),
    Entry(
        f.ErrorBody(
            "validation-error-as-list",
            "400 validation errors are a JSON array of messages, not a field hash.",
            "errors.validation: 400 bodies map each attribute to its messages",
            rewrite=lambda errors: [f"{key} {value}" for key, value in errors.items()],
        ),
        (on(PUT, SCHEMA), on(CREATE, SCHEMA), scenario(UPDATE_400, SCHEMA)),
    ),
    Entry(
        f.ErrorBody(
            "validation-error-without-field",
            '400 validation errors say {"error": "Validation failed"}, naming no attribute.',
            "errors.validation: the error hash names the offending attribute",
            rewrite=lambda errors: {"error": "Validation failed"},
        ),
        (scenario(UPDATE_400), scenario(CREATE_400), scenario(ACTION_400)),
    ),
    Entry(
        f.ErrorBody(
            "validation-error-empty",
            "400 validation errors are an empty JSON object.",
            "errors.validation: the error hash is not empty",
            rewrite=lambda errors: {},
        ),
        (on(PUT, SCHEMA), on(CREATE, SCHEMA), scenario(UPDATE_400, SCHEMA)),
    ),
    Entry(
        f.IgnoreInvalid(
            "invalid-update-ignored",
            "PUT with a bad value answers 200: bad attributes are silently dropped.",
            "errors.validation: bad values for known attributes give 400",
            operations=frozenset({"updateVirtualMachine"}),
        ),
        (scenario(UPDATE_400), on(PUT, "negative_data_rejection")),
    ),
    Entry(
        f.IgnoreInvalid(
            "invalid-create-accepted",
            "A create with bad values answers 202: bad attributes dropped, a bad name replaced.",
            "errors.validation: a create with bad values gives 400 and creates nothing",
            operations=frozenset({"createVirtualMachine"}),
        ),
        (scenario(CREATE_400), on(CREATE, "negative_data_rejection")),
    ),
    Entry(
        f.AcceptInvalidAction(
            "invalid-signal-accepted",
            "A signal with an unknown name or bad keys answers 200 instead of 400.",
            "errors.validation: a bad signal gives 400",
            operations=frozenset({"signalVirtualMachine"}),
        ),
        (scenario(ACTION_400), on(SIGNAL, "negative_data_rejection")),
    ),
    Entry(
        f.RewriteAccount(
            "foreign-account-readable",
            "Another account's paths answer (with the user's own account's data).",
            "errors.not-found: accounts without a privilege are invisible (404)",
        ),
        (scenario(FOREIGN_HIDDEN),),
    ),
]
