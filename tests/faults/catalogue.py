"""The catalogue of faulty targets, and of harmless variations that must pass.

Every entry is a fault (or a harmless variation) put in front of a faithful emulator by the
fault-injecting proxy (`proxy.py`), a stable name, what it breaks (the capability of
`spec/bigv.openapi.yaml` and the rule), and what in the suite must catch it: one or more
`Catch`es, each naming a check and the operation or the scenario (by its stable id) where the
suite's report must show that check failing. Any one of them is enough; the detection table
shows every failure the run reported.

Budgets: every run has the fixed seed 1 and the smallest budget measured to still catch its
fault, `--profile smoke` (two generated examples per operation, no coverage phase; every
scenario runs). An entry may ask for `max_examples` instead, or for the emulator to require
one-time passwords (`otp`). The suite's wait is 1 s: the emulator provisions at once, so a
right state is seen on the first poll and only a wrong one waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.faults import faults as f
from tests.faults.proxy import NO_FAULT, Fault

VMS = "/accounts/{account}/groups/{group}/virtual_machines"
VM = VMS + "/{virtual_machine}"
LIST, CREATE = f"GET {VMS}", f"POST {VMS}"
GET, PUT, DELETE = f"GET {VM}", f"PUT {VM}", f"DELETE {VM}"
REIMAGE, SIGNAL = f"POST {VM}/reimage", f"POST {VM}/signal"
ALL_VM = frozenset(f.VM_OPERATIONS)

# Scenario ids (conformance/suite/scenarios), by what they prove.
NO_CREDENTIALS = "1d7c5e08-no-credentials-401"
WRONG_PASSWORD = "6f3a2d91-wrong-password-401"
OTP_ENFORCED = "c2e8b4a7-otp-enforced"
FOREIGN_HIDDEN = "f0b9e7c4-foreign-account-hidden"
CREATE_LISTED = "8f0c2a61-create-listed-readable"
HOSTNAME = "c4d1a8e2-hostname-derived"
DELETE_UNDELETE = "4e2a9b73-delete-undelete"
PURGE = "b8d61f2e-purge-frees-name"
INCLUDE_DELETED_FALSE = "0f174bbd-include-deleted-false"
SAME_NAME = "3c7a1f88-same-name-once"
UPDATE_EACH = "5a7f3c22-update-each-writable"
HW_PROFILE = "7c3b9f04-hardware-profile-lock"
POWER_PUT = "0a6d5e31-power-table-put"
SIGNALS = "6b1f0d47-signals"
REIMAGE_RUNNING = "2f8a6c95-reimage-refused-running"
REIMAGE_OFF = "d93c1e58-reimage-when-off"
SHUTDOWN = "a47e2b90-shutdown-stays-off"
NOT_FOUND = "0e5b7d29-unknown-objects-404"
UPDATE_400 = "9a4c6e13-update-constraint-400"
CREATE_400 = "5d8f2a47-create-constraint-400"
ACTION_400 = "7b1e9c50-action-constraint-400"
WRONG_CONTENT_TYPE = "c8e3f1a6-wrong-content-type"


@dataclass(frozen=True)
class Catch:
    """A failure the suite must report: `check` on `operation` (a property/stateful run, or
    a call a scenario made), or `check` in the scenario `scenario` (its id, any parameters)."""

    check: str
    operation: str | None = None
    scenario: str | None = None
    title: str | None = None  # what the failure's title starts with, in any scenario

    def matches(self, failure: dict[str, Any]) -> bool:
        if failure.get("check") != self.check:
            return False
        if self.operation is not None and failure.get("operation") != self.operation:
            return False
        if self.title is not None and not str(failure.get("title", "")).startswith(self.title):
            return False
        return self.scenario is None or str(failure.get("test_id", "")).startswith(self.scenario)

    def __str__(self) -> str:
        where = self.scenario or self.operation or "any scenario"
        return f"{where} · {self.check}" + (f" · {self.title}…" if self.title else "")


def scenario(test_id: str, check: str = "scenario") -> Catch:
    return Catch(check, scenario=test_id)


def on(operation: str, check: str) -> Catch:
    return Catch(check, operation=operation)


def titled(title: str) -> Catch:
    """A scenario failure, in whichever scenario meets it first, by its title."""
    return Catch("scenario", title=title)


@dataclass(frozen=True)
class Entry:
    """One catalogue entry: the fault, what must catch it, and the run's budget."""

    fault: Fault
    caught_by: tuple[Catch, ...] = ()
    profile: str | None = "smoke"
    max_examples: int | None = None
    otp: bool = False  # the emulator requires OTPs; the suite is given one
    wait_timeout: float = 1.0  # the suite's wait; the emulator provisions at once
    cost: int = 1  # relative run time: the costly runs are started first

    @property
    def name(self) -> str:
        return self.fault.name

    @property
    def budget(self) -> str:
        parts = [f"--profile {self.profile}"] if self.profile else []
        if self.max_examples:
            parts.append(f"--max-examples {self.max_examples}")
        if self.otp:
            parts.append("--otp")
        return " ".join(parts) or "default"


def _set(key: str, value: Any):
    def change(machine: dict[str, Any]) -> dict[str, Any]:
        return machine | {key: value(machine.get(key)) if callable(value) else value}

    return change


def _drop(key: str):
    return lambda machine: {k: v for k, v in machine.items() if k != key}


def _swap_group_and_account(hostname: Any) -> Any:
    parts = str(hostname).split(".", 3)
    if len(parts) < 4:
        return hostname
    name, group, account, domain = parts
    return f"{name}.{account}.{group}.{domain}"


SCHEMA = "response_schema_conformance"
STATUS = "status_code_conformance"
CONTENT_TYPE = "content_type_conformance"
SERVER_ERROR = "not_a_server_error"

FAULTS: list[Entry] = [
    # -- response shapes ------------------------------------------------------------------
    Entry(
        f.MachineFields(
            "cores-as-string",
            'Every machine answers cores as a string ("2"), not an integer.',
            "vm.attributes: cores is an integer",
            change=_set("cores", str),
        ),
        (on(GET, SCHEMA), on(LIST, SCHEMA)),
    ),
    Entry(
        f.MachineFields(
            "power-on-as-number",
            "Every machine answers power_on as 1 or 0, not a boolean.",
            "vm.attributes: power_on is a boolean",
            change=_set("power_on", lambda value: int(bool(value))),
        ),
        (on(GET, SCHEMA), on(LIST, SCHEMA)),
    ),
    Entry(
        f.MachineFields(
            "hostname-missing",
            "Machines are answered without their hostname attribute.",
            "vm.attributes: hostname is required",
            change=_drop("hostname"),
        ),
        (on(GET, SCHEMA), on(LIST, SCHEMA)),
    ),
    Entry(
        f.MachineFields(
            "memory-null",
            "Machines are answered with memory null.",
            "vm.attributes: memory is an integer, never null",
            change=_set("memory", None),
        ),
        (on(GET, SCHEMA), on(LIST, SCHEMA)),
    ),
    Entry(
        f.MachineFields(
            "id-as-string",
            'Machines are answered with their id as a string ("17").',
            "vm.attributes: id is an integer",
            change=_set("id", str),
        ),
        (on(GET, SCHEMA), on(LIST, SCHEMA), on(CREATE, SCHEMA)),
    ),
    Entry(
        f.ReshapeBody(
            "list-wrapped",
            'The list of a group is wrapped in an object: {"virtual_machines": [...]}.',
            "vm.list: the list is a JSON array",
            reshape=lambda body: {"virtual_machines": body},
            operations=frozenset({"listVirtualMachines"}),
        ),
        (on(LIST, SCHEMA),),
    ),
    Entry(
        f.ReshapeBody(
            "single-as-array",
            "A single machine is answered as a one-element array (as the 2013 page shows).",
            "vm.read: a single machine is an object",
            reshape=lambda body: [body],
            operations=frozenset({"getVirtualMachine"}),
        ),
        (on(GET, SCHEMA),),
    ),
    # -- status codes ---------------------------------------------------------------------
    Entry(
        f.Restatus(
            "create-answers-201",
            "Creating a machine answers 201 Created instead of 202 Accepted.",
            "vm.create: creation answers 202",
            operations=frozenset({"createVirtualMachine"}),
            old=202,
            new=201,
        ),
        (on(CREATE, STATUS),),
    ),
    Entry(
        f.Restatus(
            "delete-answers-200",
            "DELETE answers 200 with a JSON body instead of 204 No Content.",
            "vm.delete: delete answers 204",
            operations=frozenset({"deleteVirtualMachine"}),
            old=204,
            new=200,
            body={"deleted": True},
        ),
        (on(DELETE, STATUS),),
    ),
    Entry(
        f.Restatus(
            "update-answers-204",
            "PUT answers 204 with no body instead of 200 and the updated machine.",
            "vm.update: PUT answers 200 with the machine",
            operations=frozenset({"updateVirtualMachine"}),
            old=200,
            new=204,
        ),
        (on(PUT, STATUS),),
    ),
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
        f.Restatus(
            "unauthenticated-answers-403",
            "Requests without valid credentials answer 403 instead of 401.",
            "auth.basic: no or wrong credentials give 401",
            operations=ALL_VM
            | {"deleteVirtualMachine", "reimageVirtualMachine", "signalVirtualMachine"},
            old=401,
            new=403,
        ),
        (scenario(NO_CREDENTIALS), scenario(WRONG_PASSWORD)),
    ),
    # -- content types --------------------------------------------------------------------
    Entry(
        f.Retype(
            "json-as-text-plain",
            "Machines are answered with Content-Type text/plain (the body still JSON).",
            "vm.read, vm.list: responses are application/json",
            statuses=frozenset({200}),
            operations=frozenset({"getVirtualMachine", "listVirtualMachines"}),
        ),
        (on(GET, CONTENT_TYPE), on(LIST, CONTENT_TYPE)),
    ),
    Entry(
        f.Retype(
            "content-type-missing",
            "Machines are answered with no Content-Type header at all.",
            "vm.read, vm.create: responses are application/json",
            content_type=None,
        ),
        (on(GET, CONTENT_TYPE), on(LIST, CONTENT_TYPE), on(CREATE, CONTENT_TYPE)),
    ),
    Entry(
        f.AnyContentType(
            "request-content-type-ignored",
            "A request body is read as JSON whatever its Content-Type: never 415.",
            "errors.validation: a body must come as application/json (else 400 or 415)",
        ),
        (scenario(WRONG_CONTENT_TYPE),),
    ),
    # -- the error body format ------------------------------------------------------------
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
    # -- behaviour --------------------------------------------------------------------------
    Entry(
        f.LostUpdate(
            "lost-update",
            "PUT answers 200 with the values sent, but nothing is stored.",
            "vm.update: every attribute sent persists",
        ),
        (scenario(UPDATE_EACH), scenario(HW_PROFILE), scenario(HOSTNAME)),
    ),
    Entry(
        f.SwallowAction(
            "delete-does-nothing",
            "DELETE (without purge) answers 204 but the machine is not deleted.",
            "vm.delete: a deleted machine is hidden and marked deleted",
            operation="deleteVirtualMachine",
            allowed=lambda machine, request: not f.purging(request),
        ),
        (scenario(DELETE_UNDELETE),),
    ),
    Entry(
        f.SwallowAction(
            "signal-does-nothing",
            "A signal the rules allow answers 200 (echoed) but is not sent.",
            "vm.signal, vm.power: powerdown with autoreboot off leaves the machine off",
            operation="signalVirtualMachine",
            schema="Signal",
            allowed=lambda machine, request: machine.get("power_on") is True,
            answer=f.echo,
        ),
        (scenario(SIGNALS), scenario(SHUTDOWN)),
    ),
    Entry(
        f.SwallowAction(
            "reimage-does-nothing",
            "Reimage of a stopped machine answers 200 (echoed) but nothing is reimaged.",
            "vm.reimage: afterwards the machine is on with autoreboot_on false",
            operation="reimageVirtualMachine",
            schema="Reimage",
            allowed=lambda machine, request: machine.get("power_on") is False,
            answer=f.echo,
        ),
        (scenario(REIMAGE_OFF),),
    ),
    Entry(
        f.StripFromRequest(
            "start-does-nothing",
            "PUT power_on=true answers 200 but the machine is not started.",
            "vm.power: PUT power_on true starts a stopped machine",
            operation="updateVirtualMachine",
            attributes=("power_on",),
            when=lambda request: (
                isinstance(request.json, dict) and request.json.get("power_on") is True
            ),
        ),
        (scenario(POWER_PUT),),
    ),
    Entry(
        f.DropNewestFromList(
            "newest-missing-from-list",
            "The list of a group leaves out its newest machine.",
            "vm.list: every machine of the group is listed",
        ),
        (scenario(CREATE_LISTED),),
    ),
    Entry(
        f.StripFromRequest(
            "deleted-still-listed",
            "The list of a group includes deleted machines without include_deleted=true.",
            "vm.delete, vm.list: deleted machines are hidden unless include_deleted=true",
            operation="listVirtualMachines",
            add_query=(("include_deleted", "true"),),
        ),
        (scenario(DELETE_UNDELETE),),
    ),
    Entry(
        f.StripFromRequest(
            "include-deleted-false-read-as-true",
            "include_deleted=false is read as include_deleted=true: deleted machines are listed.",
            "vm.delete, vm.list: deleted machines are hidden unless include_deleted=true",
            operation="listVirtualMachines",
            add_query=(("include_deleted", "true"),),
            when=f.include_deleted_false,
        ),
        (scenario(INCLUDE_DELETED_FALSE),),
    ),
    Entry(
        f.StripFromRequest(
            "deleted-still-readable",
            "A deleted machine reads 200 by id without include_deleted=true.",
            "vm.delete, vm.read: a deleted machine answers 404 unless include_deleted=true",
            operation="getVirtualMachine",
            add_query=(("include_deleted", "true"),),
        ),
        (scenario(DELETE_UNDELETE),),
    ),
    Entry(
        f.StripFromRequest(
            "purge-ignored",
            "DELETE ?purge=true only soft-deletes: the machine and its name stay.",
            "vm.delete: purge removes the machine and frees its name",
            operation="deleteVirtualMachine",
            query=("purge",),
            when=f.purging,
        ),
        (scenario(PURGE),),
    ),
    Entry(
        f.StripFromRequest(
            "undelete-broken",
            "PUT deleted=false answers 200 but the machine stays deleted.",
            "vm.delete: PUT deleted=false undeletes",
            operation="updateVirtualMachine",
            attributes=("deleted",),
        ),
        (scenario(DELETE_UNDELETE),),
    ),
    Entry(
        f.DuplicateNames(
            "duplicate-names-allowed",
            "A second machine of a name already taken in the group is created (202).",
            "vm.create: names are unique in a group until purged",
        ),
        (scenario(PURGE), scenario(SAME_NAME)),
    ),
    Entry(
        f.MachineFields(
            "hostname-wrong-order",
            "Hostnames are name.account.group.domain instead of name.group.account.domain.",
            "vm.hostname: hostname is name.group.account.cluster-domain",
            change=_set("hostname", _swap_group_and_account),
        ),
        (
            on(GET, "vm_hostname_derivation"),
            on(CREATE, "vm_hostname_derivation"),
            scenario(HOSTNAME),
        ),
    ),
    Entry(
        f.StaleHostname(
            "hostname-stale-after-rename",
            "A renamed machine keeps the hostname of its first name.",
            "vm.hostname: the hostname follows renames",
        ),
        (scenario(HOSTNAME), on(PUT, "vm_hostname_derivation")),
    ),
    Entry(
        f.MachineFields(
            "created-id-wrong",
            "Creating a machine answers an id that addresses no machine (off by 100000).",
            "vm.create: the id answered addresses the machine created",
            change=_set("id", lambda value: value + 100000 if isinstance(value, int) else value),
            operations=frozenset({"createVirtualMachine", "createVirtualMachineSpec"}),
        ),
        (
            scenario(CREATE_LISTED),
            on(CREATE, "ensure_resource_availability"),
            # the first wait for the machine it answered: later scenarios are blocked by it
            titled("A machine reads 404 while waiting"),
        ),
        cost=2,
    ),
    Entry(
        f.ReadAnotherMachine(
            "read-answers-another-machine",
            "Reading a machine by id answers another machine of the group (the oldest).",
            "vm.read: a machine reads by its own id",
        ),
        (on(GET, "vm_read_by_id"), scenario(CREATE_LISTED), scenario(HOSTNAME)),
    ),
    # -- state rules ----------------------------------------------------------------------
    Entry(
        f.StopThenReimage(
            "reimage-accepted-while-running",
            "Reimage of a running machine is not refused: it is stopped and reimaged.",
            "vm.reimage: reimage is refused (400) while the machine runs",
        ),
        (scenario(REIMAGE_RUNNING),),
    ),
    Entry(
        f.SwallowAction(
            "signal-accepted-while-off",
            "A signal to a stopped machine answers 200 (echoed) instead of being refused.",
            "vm.signal: signals are refused (400) while the machine is off",
            operation="signalVirtualMachine",
            schema="Signal",
            allowed=lambda machine, request: machine.get("power_on") is False,
            answer=f.echo,
        ),
        (scenario(SIGNALS),),
    ),
    # -- validation -----------------------------------------------------------------------
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
    # -- authentication -------------------------------------------------------------------
    Entry(
        f.InjectCredentials(
            "auth-not-enforced",
            "Requests without credentials are served (as the seeded user).",
            "auth.basic: no credentials give 401",
            needs_help=f.no_credentials,
        ),
        (scenario(NO_CREDENTIALS), on(LIST, "ignored_auth"), on(GET, "ignored_auth")),
    ),
    Entry(
        f.InjectCredentials(
            "wrong-password-accepted",
            "HTTP Basic with a wrong password (or user) is served.",
            "auth.basic: wrong credentials give 401",
            needs_help=f.wrong_basic_credentials,
        ),
        (scenario(WRONG_PASSWORD), on(LIST, "ignored_auth"), on(GET, "ignored_auth")),
    ),
    Entry(
        f.InjectCredentials(
            "otp-ignored",
            "Where a Yubikey OTP is required, requests without one (or a bad one) are served.",
            "auth.basic: X-Yubikey-Otp is required when the privilege needs it",
            needs_help=f.missing_or_bad_otp,
        ),
        (scenario(OTP_ENFORCED),),
        otp=True,
    ),
    Entry(
        f.RewriteAccount(
            "foreign-account-readable",
            "Another account's paths answer (with the user's own account's data).",
            "errors.not-found: accounts without a privilege are invisible (404)",
        ),
        (scenario(FOREIGN_HIDDEN),),
    ),
    # -- robustness -----------------------------------------------------------------------
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

# The proxy with no fault at all: the baseline every fault is measured against.
CONTROLS: list[Entry] = [Entry(NO_FAULT)]

ENTRIES: list[Entry] = FAULTS + HARMLESS
BY_NAME: dict[str, Entry] = {entry.name: entry for entry in ENTRIES + CONTROLS}
