"""Authentication (HTTP Basic, Bearer session token, Bearer apikey.<key>) and /session calls."""

import base64
import binascii
import hmac
import json
import re
import secrets
import time
from urllib.parse import parse_qs

from .errors import HttpError, Reply, json_reply, text_reply
from .store import Session, State, User

SESSION_TTL = 300
MAX_VALIDITY = 3600
JSON_RE = re.compile(r"application/(?:vnd\.bigv\.[^+]*\+)?json")
FORM_TYPE = "application/x-www-form-urlencoded"
BAD_PARAMS = "Badly-formed parameters"
BAD_LOGIN = "Bad login credentials"
CHALLENGE = [
    ("WWW-Authenticate", 'Basic realm="bigv"'),
    ("WWW-Authenticate", 'Bearer realm="bigv"'),
]


def media_type(headers: dict) -> str:
    """Lower-case media type of the Content-Type header, without parameters."""
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )


def check_password(state: State, username, password) -> User | None:
    """The user if the password matches."""
    user = state.users.get(username) if isinstance(username, str) else None
    if user is None or not isinstance(password, str) or not _same(user.password, password):
        return None
    return user


def authenticate(state: State, headers: dict, now: float | None = None) -> User | None:
    """The user behind the Authorization header, or None."""
    now = time.time() if now is None else now
    scheme, _, cred = headers.get("authorization", "").strip().partition(" ")
    cred = cred.strip()
    if scheme.lower() == "basic":
        try:
            raw = base64.b64decode(cred, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return None
        username, sep, password = raw.partition(":")
        return check_password(state, username, password) if sep else None
    if scheme.lower() != "bearer" or not cred:
        return None
    if cred.startswith("apikey."):
        owner = next((u for k, u in state.api_keys.items() if _same(k, cred[7:])), None)
        return state.users.get(owner) if owner else None
    session = state.sessions.get(cred)
    if session is None or session.expires < now:
        return None
    session.expires = max(session.expires, now + SESSION_TTL)
    return state.users.get(session.username)


def unauthorized() -> HttpError:
    """401 with challenges for both schemes."""
    return HttpError(401, {"error": "authentication required"}, list(CHALLENGE))


def _credentials(headers: dict, body: bytes) -> dict | None:
    mtype = media_type(headers)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not mtype or JSON_RE.fullmatch(mtype):
        try:
            data = json.loads(text)
            return data if isinstance(data, dict) else None
        except (ValueError, RecursionError):
            if mtype:
                return None
    if not mtype or mtype == FORM_TYPE:
        try:
            form = parse_qs(text, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            return None
        return {k: v[0] for k, v in form.items()}
    return None


def _validity(value) -> int | None:
    if value is None:
        return SESSION_TTL
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_VALIDITY:
        return value
    return None


def session_call(state: State, method: str, segs: list[str], headers: dict, body: bytes) -> Reply:
    """POST /session, GET /session/{token}, POST /session/{token}."""
    now = time.time()
    if len(segs) == 1:
        if method != "POST":
            return text_reply(405, "Method not allowed", [("Allow", "POST")])
        creds = _credentials(headers, body)
        if creds is None:
            return text_reply(400, BAD_PARAMS)
        username, password = creds.get("username"), creds.get("password")
        validity = _validity(creds.get("validity"))
        if not isinstance(username, str) or not username or not isinstance(password, str):
            return text_reply(400, BAD_PARAMS)
        if validity is None:
            return text_reply(400, BAD_PARAMS)
        user = check_password(state, username, password)
        if user is None:
            return text_reply(400, BAD_LOGIN)
        token = secrets.token_hex(20)
        state.sessions[token] = Session(token, user.username, now + validity)
        return text_reply(200, token)
    if len(segs) != 2:
        return text_reply(404, "Not found")
    session = state.sessions.get(segs[1])
    if session is not None and session.expires < now:
        del state.sessions[segs[1]]
        session = None
    if method in ("GET", "HEAD"):
        if session is None:
            return text_reply(404, "No such session")
        session.expires = max(session.expires, now + SESSION_TTL)
        payload = {"username": session.username, "factors": list(session.factors)}
        payload["group_memberships"] = []
        return json_reply(200, payload)
    if method == "POST":
        if session is None:
            return text_reply(404, "No such session")
        return text_reply(403, "Impersonation needs staff rights")
    return text_reply(405, "Method not allowed", [("Allow", "GET, HEAD, POST")])
