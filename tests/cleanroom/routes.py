"""Request routing: auth, resource lookup (404), method (405), privilege (403), handler."""

import time
from urllib.parse import parse_qs, unquote, urlsplit

from . import resource_api as res
from . import vm_api
from .auth import authenticate, session_call, unauthorized
from .context import Ctx
from .definitions import definitions
from .errors import HttpError, Reply, forbidden, json_reply, method_not_allowed, not_found
from .store import State


def _split(target: str) -> tuple[list[str] | None, dict]:
    try:
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
    except ValueError:
        return None, {}
    path = parts.path
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    if not path.startswith("/"):
        return None, {}
    segs = [unquote(s) for s in path[1:].split("/")]
    return segs, {k: v[0] for k, v in query.items()}


def _allow(method: str, allowed: list[str]) -> None:
    if method not in allowed:
        raise method_not_allowed(allowed)


def handle(state: State, method: str, target: str, headers: dict, body: bytes) -> Reply:
    """Answer one request. `headers` has lower-case names."""
    verb = "GET" if method == "HEAD" else method
    segs, query = _split(target)
    if segs is None or any(s == "" for s in segs):
        segs = [""]
    try:
        if segs == ["definitions"]:
            _allow(verb, ["GET"])
            return json_reply(200, definitions())
        with state.lock:
            if segs[0] == "session":
                return session_call(state, verb, segs, headers, body)
            now = time.time()
            state.sweep(now)
            user = authenticate(state, headers, now)
            if user is None:
                raise unauthorized()
            ctx = Ctx(state, user, verb, query, headers, body)
            return _route(ctx, segs)
    except HttpError as err:
        return err.reply()


def _route(ctx: Ctx, segs: list[str]) -> Reply:
    state, verb, n = ctx.state, ctx.method, len(segs)
    if segs[0] != "accounts":
        raise not_found()
    if n == 1:
        _allow(verb, ["GET"])
        return res.list_accounts(ctx)
    account = state.account_by_ref(ctx.user, segs[1])
    if account is None or (n > 2 and segs[2] != "groups"):
        raise not_found()
    writable = state.access(ctx.user, account.id) == "admin"

    def allow(allowed: list[str]) -> None:
        _allow(verb, allowed)
        if verb != "GET" and not writable:
            raise forbidden()

    if n == 2:
        allow(["GET"])
        return res.get_account(ctx, account)
    if n == 3:
        allow(["GET", "POST"])
        return res.list_groups(ctx, account) if verb == "GET" else res.create_group(ctx, account)
    group = state.group_by_ref(account, segs[3])
    if group is None:
        raise not_found()
    if n == 4:
        allow(["GET", "DELETE"])
        return res.get_group(ctx, group) if verb == "GET" else res.delete_group(ctx, group)
    if n == 5 and segs[4] == "vm_create":
        allow(["POST"])
        return vm_api.vm_create(ctx, group)
    if segs[4] != "virtual_machines":
        raise not_found()
    if n == 5:
        allow(["GET", "POST"])
        return vm_api.list_vms(ctx, group) if verb == "GET" else vm_api.create_bare(ctx, group)
    vm = state.vm_by_ref(group, segs[5])
    if vm is None or (n == 6 and verb == "GET" and vm.deleted and not ctx.flag("include_deleted")):
        raise not_found()
    if n == 6:
        allow(["GET", "PUT", "DELETE"])
        handler = {"GET": vm_api.get_vm, "PUT": vm_api.update_vm, "DELETE": vm_api.delete_vm}
        return handler[verb](ctx, vm)
    sub = segs[6]
    if n == 7 and sub in ("reimage", "signal"):
        allow(["POST"])
        return vm_api.reimage(ctx, vm) if sub == "reimage" else vm_api.signal(ctx, vm)
    if sub == "discs" and n == 7:
        allow(["GET", "POST"])
        return res.list_discs(ctx, vm) if verb == "GET" else res.create_disc(ctx, vm)
    if sub == "discs" and n == 8:
        disc = state.disc_by_ref(vm, segs[7])
        if disc is None:
            raise not_found()
        allow(["GET", "PUT", "DELETE"])
        handler = {"GET": res.get_disc, "PUT": res.update_disc, "DELETE": res.delete_disc}
        return handler[verb](ctx, vm, disc)
    if sub == "nics" and n == 7:
        allow(["GET"])
        return res.list_nics(ctx, vm)
    if sub == "nics" and n == 8:
        nic = next((x for x in state.nics_of(vm.id) if str(x.id) == segs[7]), None)
        if nic is None:
            raise not_found()
        allow(["GET"])
        return res.get_nic(ctx, vm, nic)
    raise not_found()
