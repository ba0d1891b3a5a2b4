"""Remove what killed runs left behind: machines and groups whose names carry a run prefix.

Looks in the configured account: every machine (deleted ones too) in the configured group and
in the account's prefixed groups, then those groups themselves. Machines are purged, so
nothing lingers and bills.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import requests

from conformance.target import client, tls
from conformance.target.configuration import Target

DEFAULT_PREFIX = "bvc"
MIN_PREFIX = 3


class SweepError(Exception):
    """The sweep cannot go on; the message is one line."""


@dataclass(frozen=True)
class Leftover:
    """One object a run left behind."""

    kind: str  # "virtual machine" or "group"
    identifier: int
    name: str
    group: str

    def describe(self) -> str:
        return f"{self.kind} {self.name} (id {self.identifier}, group {self.group})"


class Sweeper:
    """Finds and removes leftovers in the target's account."""

    def __init__(self, target: Target, prefix: str) -> None:
        if len(prefix) < MIN_PREFIX:
            raise SweepError(f"the prefix must have at least {MIN_PREFIX} characters: {prefix!r}")
        self.target = target
        self.prefix = prefix
        self.credentials = client.Credentials(target)
        self.session = client.new_session(target)
        self.base = f"{target.url}/accounts/{target.account}"

    def _get(self, path: str, **query: str) -> object:
        try:
            reply = self.session.get(
                f"{self.base}{path}", params=query, headers=self.credentials.headers(), timeout=30
            )
        except requests.RequestException as error:
            raise SweepError(
                tls.failure_for(error, self.target)
                or f"target {self.target.url} cannot be reached ({type(error).__name__})"
            ) from None
        if reply.status_code != 200:
            raise SweepError(f"GET {self.base}{path} answered {reply.status_code}")
        return client.json_or_none(reply)

    def groups(self) -> list[tuple[str, int | None]]:
        """The configured group, then the account's groups named with the prefix."""
        found = [(self.target.group, None)]
        listed = self._get("/groups")
        for group in listed if isinstance(listed, list) else []:
            name = str(group.get("name", ""))
            if name.startswith(self.prefix) and name != self.target.group:
                found.append((name, group.get("id")))
        return found

    def find(self) -> list[Leftover]:
        """Everything to remove, machines first, groups last."""
        machines, groups = [], []
        for group, group_id in self.groups():
            listed = self._get(f"/groups/{group}/virtual_machines", include_deleted="true")
            for machine in listed if isinstance(listed, list) else []:
                name = str(machine.get("name", ""))
                if name.startswith(self.prefix):
                    machines.append(Leftover("virtual machine", machine["id"], name, group))
            if group_id is not None:
                groups.append(Leftover("group", group_id, group, group))
        return machines + groups

    def remove(self, leftover: Leftover) -> str | None:
        """Remove one leftover; None when done, else why not."""
        if leftover.kind == "group":
            url = f"{self.base}/groups/{leftover.identifier}"
        else:
            url = f"{self.base}/groups/{leftover.group}/virtual_machines/{leftover.identifier}"
        try:
            reply = self.session.delete(
                url,
                params={"purge": "true"} if leftover.kind != "group" else None,
                headers=self.credentials.headers(),
                timeout=30,
            )
        except requests.RequestException as error:
            return f"not removed ({type(error).__name__})"
        return None if reply.status_code in (204, 404) else f"not removed ({reply.status_code})"


def sweep(target: Target, prefix: str, dry_run: bool, say: Callable[[str], None]) -> int:
    """Remove (or, dry, list) the leftovers; the number of problems met."""
    sweeper = Sweeper(target, prefix)
    leftovers = sweeper.find()
    if not leftovers:
        say(f"nothing to sweep with prefix {prefix!r} in account {target.account}")
    problems = 0
    for leftover in leftovers:
        if dry_run:
            say(f"would remove {leftover.describe()}")
            continue
        problem = sweeper.remove(leftover)
        if problem:
            problems += 1
            say(f"{problem}: {leftover.describe()}")
        else:
            say(f"removed {leftover.describe()}")
    return problems
