"""Handlers of the auth service's session calls (spec/auth.openapi.yaml)."""

from __future__ import annotations

from typing import Any

from emulator.errors import NotFound
from emulator.handlers.base import Context, PlainText, operation


@operation("createSession")
def create_session(ctx: Context) -> PlainText:
    return PlainText(ctx.services.authenticator.login(ctx.body, ctx.now))


@operation("getSession")
def get_session(ctx: Context) -> dict[str, Any]:
    session = ctx.services.authenticator.session(ctx.path["token"], ctx.now)
    if session is None:
        raise NotFound("no such session, or it has expired")
    return session
