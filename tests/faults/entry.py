"""What a catalogue entry is (`Entry`, `Catch` and the ways to write one) and the names the
entries are written with: the operations, the scenario ids by what they prove, the checks,
and the changes made to a machine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.faults import faults as f
from tests.faults.proxy import Fault

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


def set_attribute(key: str, value: Any):
    def change(machine: dict[str, Any]) -> dict[str, Any]:
        return machine | {key: value(machine.get(key)) if callable(value) else value}

    return change


def drop_attribute(key: str):
    return lambda machine: {k: v for k, v in machine.items() if k != key}


def swap_group_and_account(hostname: Any) -> Any:
    parts = str(hostname).split(".", 3)
    if len(parts) < 4:
        return hostname
    name, group, account, domain = parts
    return f"{name}.{account}.{group}.{domain}"


SCHEMA = "response_schema_conformance"
STATUS = "status_code_conformance"
CONTENT_TYPE = "content_type_conformance"
SERVER_ERROR = "not_a_server_error"
