"""The divergent mode: a faithful emulator that takes the other side of every silent point.

`spec/register.yaml` (the silence register) lists the points where the public record is
silent, or where the spec rests on an inference. Each entry with a `divergent:` text says what
a faithful but different implementation does instead of the reference emulator's choice.
`bigv-conformance emulator --divergent` turns every one of them on, `--diverge ID` one entry
at a time; a conformance run against it must report those points, never fail on them.

This module is pure (no HTTP, no SQL, no clock): the entry ids, the constants each divergence
uses, and the changes some of them make to the spec's request schemas. The layers ask
`Divergence.on(ID)` at their hooks: the model (`model.py`) for rules and rendering, the store
for ids and order, the handlers for what depends on several objects, the HTTP layer for
methods, media types, body limits, statuses and the wording of errors. With no divergence
every hook is off and the emulator is the reference emulator.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

import spec

# Every entry of the register whose `divergent:` behaviour this package implements.
IMPLEMENTED: frozenset[str] = frozenset(
    {
        "content-type-refusal-status",
        "body-size-limit",
        "vendor-media-types",
        "unknown-methods",
        "put-without-body",
        "error-wording",
        "ids-and-order",
        "extra-fields",
        "otp-refusal-status",
        "session-error-media-type",
        "credentials-shape",
        "names-dns-labels",
        "disc-labels",
        "disc-device-labels",
        "cluster-domain",
        "hostname-follows-move",
        "create-required-attributes",
        "create-defaults",
        "create-reply-body",
        "vm-create-reply-body",
        "vm-create-discs-limit",
        "provisioning-time",
        "get-while-provisioning",
        "name-taken-status",
        "names-unique-in-group",
        "positive-amounts",
        "memory-values",
        "keymap-writable",
        "cdrom-removal",
        "zone-name-values",
        "head-follows-power",
        "update-while-running",
        "read-only-attributes-put",
        "overview-fewer-fields",
        "nic-fields",
        "disc-size-required",
        "discs-grow-only",
        "disc-delete-without-purge",
        "group-list-overview",
        "group-delete-with-deleted-machines",
        "reimage-root-password-required",
        "reimage-echo-password",
        "sendkey-data",
        "powerdown-duration",
        "refusal-status",
        "deleted-out-of-reach",
        "start-deleted",
        "undelete-window",
        "refusal-media-type",
        "bad-query-values",
        "put-deleted-true",
        "sendkey-key-names",
        "reimage-without-disc",
        "unimaged-last-imaged-with",
    }
)

# --- the constants of the divergences (named by entry) --------------------------------------
CLUSTER_DOMAIN = "divergent.example"  # cluster-domain
BODY_LIMIT = 256 * 1024  # body-size-limit: larger bodies answer 400 naming `body`
VM_MEDIA_TYPE = "application/vnd.bigv.virtual-machine+json"  # vendor-media-types
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE"})  # unknown-methods: 501
ID_START, ID_STEP = 700_000, 7  # ids-and-order (and lists newest first)
EXTRA_VM_FIELDS = {"appliance": None, "x_divergent": True}  # extra-fields (and `type`)
NAME_PATTERN = "^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$"  # names-dns-labels
# disc-device-labels: ICH's and FOG's own examples label a disc `vda`; no label is refused
DEVICE_LIKE_LABEL = re.compile(r"(?!)")
REQUIRED_ON_CREATE = ("cores", "memory")  # create-required-attributes
VM_DEFAULTS = {"cores": 2, "autoreboot_on": False, "power_on": False}  # create-defaults
DEFAULT_ZONE = "default"  # zone-name-values
CREATE_REPLY_FIELDS = ("id", "name", "group_id", "power_on")  # create-reply-body
SPEC_DISCS_LIMIT = 16  # vm-create-discs-limit
NAME_TAKEN_STATUS = 409  # name-taken-status
MEMORY_STEP = 256  # memory-values: MiB
MIN_DISC_SIZE = 50  # positive-amounts: MiB
LOCKED_WHILE_RUNNING = ("cores", "memory", "hardware_profile", "group_id")  # update-while-running
READ_ONLY_ON_PUT = ("id", "hostname", "head", "management_address")  # read-only-attributes-put
OVERVIEW_VM_FIELDS = ("id", "name", "hostname", "power_on", "deleted")  # overview-fewer-fields
DEFAULT_DISC_SIZE = 25600  # disc-size-required: MiB
POWERDOWN_SECONDS = 1.5  # powerdown-duration
REFUSAL_STATUS, REFUSAL_FIELD = 409, "state"  # refusal-status
UNDELETE_WINDOW = 300.0  # undelete-window: seconds from the delete to the purge
BOOLEAN_QUERY = ("include_deleted", "purge")  # bad-query-values: true or false, in any case
VIEWS = ("overview",)  # bad-query-values: the one view there is
NO_DISC = "can't be blank"  # reimage-without-disc: under `discs`

# Messages of the divergent checks (reworded in turn under error-wording).
NOT_IN_LIST = "is not included in the list"
RUNNING = "can't be changed while the machine is running"
NOT_A_BOOLEAN = "is not a boolean"


def query_errors(declared: Iterable[str], arguments: Mapping[str, str]) -> dict[str, list[str]]:
    """bad-query-values: the field hash naming each query parameter of `declared` whose value
    in `arguments` is not understood (flags other than true or false, views other than
    overview); empty when every one is."""
    errors: dict[str, list[str]] = {}
    for name in declared:
        value = arguments.get(name)
        if value is None:
            continue
        if name in BOOLEAN_QUERY and value.lower() not in ("true", "false"):
            errors[name] = [NOT_A_BOOLEAN]
        elif name == "view" and value not in VIEWS:
            errors[name] = [NOT_IN_LIST]
    return errors


def reason(body: Any) -> str:
    """refusal-media-type: a field hash as one line of plain text (`power_on: must be false`)."""
    parts: list[str] = []
    if isinstance(body, dict):
        for name, messages in body.items():
            for message in messages if isinstance(messages, list) else [messages]:
                if isinstance(message, str):
                    parts.append(f"{name}: {message}")
    return " ".join("; ".join(parts).split()) or "the request was refused"


def provisioning_seconds(vm_id: int) -> float:
    """provisioning-time: each machine's own time, 0.2 to 1.5 seconds, a function of its id."""
    return 0.2 + (vm_id * 37 % 14) / 10


@cache
def register_ids() -> frozenset[str]:
    """The ids of the register's entries that have a divergent behaviour (ValueError, one
    line, when the register cannot be read)."""
    try:
        entries = spec.register()["entries"]
        return frozenset(entry["id"] for entry in entries if "divergent" in entry)
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        reason = " ".join(str(error).split())
        raise ValueError(f"cannot read {spec.REGISTER_PATH}: {reason}") from None


def checked(ids: Iterable[str]) -> frozenset[str]:
    """`ids` as a frozenset; ValueError (one sentence) for an id with no divergent behaviour."""
    wanted = frozenset(ids)
    if not wanted:
        return wanted
    unknown = sorted(wanted - register_ids())
    if unknown:
        noun = "divergence" if len(unknown) == 1 else "divergences"
        raise ValueError(
            f"unknown {noun} {', '.join(map(repr, unknown))}: the ids are those of "
            "spec/register.yaml entries with a `divergent:` text"
        )
    return wanted


@dataclass(frozen=True)
class Divergence:
    """The divergences that are on (none: the reference emulator)."""

    ids: frozenset[str] = frozenset()

    def on(self, entry_id: str) -> bool:
        assert entry_id in IMPLEMENTED, f"no such divergence: {entry_id}"
        return entry_id in self.ids

    def __bool__(self) -> bool:
        return bool(self.ids)

    # --- the spec's request schemas, as the divergences read them -------------------------
    def documents(
        self, api: Mapping[str, Any], auth: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Copies of the two spec documents with the request schemas the divergences change
        (the originals unchanged; with no divergence, equal copies)."""
        api, auth = copy.deepcopy(dict(api)), copy.deepcopy(dict(auth))
        schemas = api["components"]["schemas"]
        create, update = schemas["VirtualMachineCreate"], schemas["VirtualMachineUpdate"]
        if self.on("names-dns-labels"):
            schemas["Name"]["pattern"] = schemas["IdOrName"]["pattern"] = NAME_PATTERN
        if self.on("disc-labels"):
            schemas["DiscCreate"]["properties"]["label"].pop("pattern", None)
            api["components"]["parameters"]["disc"]["schema"].pop("pattern", None)
        if self.on("create-required-attributes"):
            create["required"] = [*create["required"], *REQUIRED_ON_CREATE]
        if self.on("vm-create-discs-limit"):
            schemas["VirtualMachineSpec"]["properties"]["discs"]["maxItems"] = SPEC_DISCS_LIMIT
        if self.on("positive-amounts"):
            for name in ("DiscCreate", "DiscUpdate"):
                schemas[name]["properties"]["size"]["minimum"] = MIN_DISC_SIZE
        if self.on("keymap-writable"):  # ignored like an attribute the spec does not declare
            create["properties"].pop("keymap")
            update["properties"].pop("keymap")
        if self.on("cdrom-removal"):
            create["properties"]["cdrom_url"]["type"] = "string"
            update["properties"]["cdrom_url"]["type"] = "string"
        if self.on("read-only-attributes-put"):
            for name in READ_ONLY_ON_PUT:
                update["properties"][name] = {"x-read-only": True}
        if self.on("disc-size-required"):
            disc = schemas["DiscCreate"]
            disc["required"] = [name for name in disc["required"] if name != "size"]
        if self.on("reimage-root-password-required"):
            reimage = schemas["Reimage"]
            reimage["required"] = [name for name in reimage["required"] if name != "root_password"]
        if self.on("put-deleted-true"):  # accepted, and ignored by the update tables
            update["properties"]["deleted"].pop("const", None)
        if self.on("sendkey-data"):
            schemas["Signal"].pop("if", None)
            schemas["Signal"].pop("then", None)
        if self.on("credentials-shape"):
            credentials = auth["components"]["schemas"]["Credentials"]
            credentials["properties"]["validity"].pop("pattern", None)
        return api, auth

    # --- error-wording ----------------------------------------------------------------------
    def worded(self, body: Any) -> Any:
        """A 400 field hash with every message worded as this divergence words it."""
        if not self.on("error-wording"):
            return body
        return reword(body)


NO_DIVERGENCE = Divergence()  # the reference emulator

# error-wording: the reference emulator's (Rails-style) messages and this mode's wording.
_WORDING: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^can't be blank$", "must be given"),
        (r"^is not included in the list$", "has an unknown value"),
        (r"^has already been taken$", "is in use already"),
        (r"^must exist$", "names nothing that exists"),
        (r"^is too large$", "exceeds the largest value allowed"),
        (r"^is invalid$", "has a form that is not allowed"),
        (r"^is read-only$", "may not be sent"),
        (r"^is not (an? .+|null)$", r"must be \1"),
        (r"^is not valid (.+)$", r"cannot be read as \1"),
        (r"^must be greater than or equal to (.+)$", r"must be at least \1"),
        (r"^must be less than or equal to (.+)$", r"must be at most \1"),
        (r"^must be greater than (.+)$", r"must exceed \1"),
        (r"^must be less than (.+)$", r"must stay under \1"),
        (r"^must be (.+)$", r"has to be \1"),
        (r"^(\w+) must be (.+)$", r"needs \1 to be \2"),
        (r"^is too short \(minimum is (.+)\)$", r"is shorter than the minimum of \1"),
        (r"^is too long \(maximum is (.+)\)$", r"is longer than the maximum of \1"),
        (r"^is larger than (.+)$", r"exceeds \1"),
        (r"^can't be changed (.+)$", r"cannot change \1"),
        (r"^is reserved \((.+)\)$", r"is not allowed: \1"),
        (r"^is deleted: (.+)$", r"belongs to a deleted machine: \1"),
        (r"^is the account's default group$", "names the default group, which stays"),
        (r"^has no free address left in the pool$", "finds every address in use"),
        (r"^has an invalid Content-Length$", "carries a bad Content-Length"),
    )
)


def reword(body: Any) -> Any:
    """Every message string of a field hash (nested hashes included) reworded."""
    if isinstance(body, dict):
        return {key: reword(value) for key, value in body.items()}
    if isinstance(body, list):
        return [reword(item) for item in body]
    if not isinstance(body, str):
        return body
    for pattern, replacement in _WORDING:
        if pattern.match(body):
            return pattern.sub(replacement, body)
    return f"cannot be accepted: {body}"
