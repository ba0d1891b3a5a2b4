"""What every check and test of one run may read: the target and what was learnt about it.

Set once per test process by the pytest plugin (`conformance.run.plugin`) before any test runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from conformance.target.client import Credentials
from conformance.target.configuration import Target


@dataclass
class RunContext:
    """The target, the session used to reach it, and facts read from it at the start."""

    target: Target
    credentials: Credentials
    session: requests.Session
    account_name: str
    group_name: str
    group_id: int | None
    definitions: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        assert self.target.url is not None
        return self.target.url


_CURRENT: list[RunContext] = []


def set_current(context: RunContext) -> None:
    _CURRENT[:] = [context]


def current() -> RunContext | None:
    """The run's context, or None outside a run (checks then have nothing to compare with)."""
    return _CURRENT[0] if _CURRENT else None
