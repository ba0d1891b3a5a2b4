"""What a run learns about a target before the tests start, where the user left it open.

- The account, when --account is not given: the first account `GET /accounts` lists, as the
  official client picks its default account (record §8, BC `lib/client.go`
  `EnsureAccountName`).
- Whether the reference emulator's seeded user, tried when no credentials are given, is
  accepted: if not, the run ends at once with one line saying which flags to give.
"""

from __future__ import annotations

import dataclasses

import requests

from conformance.target import client, tls
from conformance.target.configuration import Target


class DiscoveryError(Exception):
    """The run cannot start; the message is one line for the user."""


def complete(target: Target) -> tuple[Target, list[str]]:
    """The target with its account filled in, and lines saying what was assumed."""
    if target.account is not None and not target.default_credentials:
        return target, []
    credentials = client.Credentials(target)
    session = client.new_session(target)
    said = []
    if target.default_credentials:
        said.append(
            f"no credentials given: using the reference emulator's user {target.user!r} "
            "(give --user and --password, or --token)"
        )
    path = "/accounts" if target.account is None else f"/accounts/{target.account}"
    try:
        reply = session.get(f"{target.url}{path}", headers=credentials.headers(), timeout=30)
    except requests.RequestException as error:
        raise DiscoveryError(
            tls.failure_for(error, target)
            or f"target {target.url} cannot be reached ({type(error).__name__})"
        ) from None
    if reply.status_code in (401, 403) and target.default_credentials:
        raise DiscoveryError(
            f"no credentials were given and {target.url} refuses the reference emulator's "
            f"user {target.user!r} ({reply.status_code}): give --user and --password, or --token"
        )
    if target.account is not None:
        return target, said
    accounts = client.json_or_none(reply)
    listed = reply.status_code == 200 and isinstance(accounts, list) and accounts
    first = accounts[0] if listed else None
    name = first.get("name") or first.get("id") if isinstance(first, dict) else None
    if not name:
        raise DiscoveryError(
            f"no --account given, and GET {path} of {target.url} answered "
            f"{reply.status_code} with no account to use: give --account"
        )
    said.append(f"no --account given: using {name!r}, the first account GET /accounts lists")
    return dataclasses.replace(target, account=str(name)), said
