"""Who is asking: HTTP Basic (with a Yubikey OTP when required), Bearer API keys, sessions.

bigv-api.md section 2. Passwords are stored as PBKDF2-SHA256 hashes; API keys and session
tokens as SHA-256 digests (they are long random strings). The OTP is checked for its form
only (32 to 48 modhex characters): the emulator has no Yubikey validation service.

With `--require-otp` the OTP header is demanded of HTTP Basic requests (the legacy scheme it
belongs to); a session proved it at login (factor `yubikey`), an API key is a factor of its own.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from emulator.errors import Forbidden, Refused, Unauthorized
from emulator.model import SESSION_LIFETIME
from emulator.store import Store

OTP_PATTERN = re.compile(r"[cbdefghijklnrtuv]{32,48}")
OTP_HEADER = "X-Yubikey-Otp"
API_KEY_PREFIX = "apikey."
PBKDF2_ITERATIONS = 60_000  # an emulator, not a vault: slow enough to be a real hash
_VERIFIED_CACHE_SIZE = 1024

# The auth service's refusals (bigv-api.md section 2.2).
BAD_CREDENTIALS = "Bad login credentials"
MISSING_2FA = "Missing 2FA"
AUTHENTICATION_FAILED = "Authentication failed"


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ITERATIONS)
    return f"pbkdf2_sha256${PBKDF2_ITERATIONS}${salt.hex()}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, iterations, salt, digest = encoded.split("$")
        assert scheme == "pbkdf2_sha256"
        computed = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), bytes.fromhex(salt), int(iterations)
        )
    except (ValueError, AssertionError):
        return False
    return hmac.compare_digest(computed.hex(), digest)


def digest(secret: str) -> str:
    """How API keys and session tokens are stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def otp_ok(otp: str | None) -> bool:
    return otp is not None and OTP_PATTERN.fullmatch(otp) is not None


@dataclass(frozen=True)
class Principal:
    """An authenticated user and the privileges they hold."""

    user_id: int
    username: str
    factors: tuple[str, ...]
    privileges: tuple[tuple[str, int | None], ...]


class Authenticator:
    """Checks credentials against the store; remembers passwords it has already verified."""

    def __init__(self, store: Store, require_otp: bool, otp_refusal: int = 401) -> None:
        """`otp_refusal`: the status of a missing or bad OTP, 401 (or 403: the divergent
        mode's otp-refusal-status)."""
        self.store = store
        self.require_otp = require_otp
        self.otp_refusal = otp_refusal
        self._key = secrets.token_bytes(32)
        self._verified: dict[tuple[str, str], str] = {}
        # Basic credentials already checked -> their user; users and privileges change only
        # when the store is reseeded, which calls forget().
        self._principals: dict[str, Principal] = {}
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Drop what was remembered about users (after the store was reset)."""
        with self._lock:
            self._verified.clear()
            self._principals.clear()

    def _password_ok(self, username: str, password: str, stored_hash: str) -> bool:
        """PBKDF2 once per (user, password, stored hash); a keyed digest is remembered."""
        key = (username, hmac.new(self._key, password.encode(), "sha256").hexdigest())
        with self._lock:
            if self._verified.get(key) == stored_hash:
                return True
        if not verify_password(password, stored_hash):
            return False
        with self._lock:
            if len(self._verified) >= _VERIFIED_CACHE_SIZE:
                self._verified.clear()
            self._verified[key] = stored_hash
        return True

    def _user_id(self, username: str, password: str) -> int | None:
        return self._check_password(username, password)[0]

    def _check_password(
        self, username: str, password: str
    ) -> tuple[int | None, tuple[tuple[str, int | None], ...]]:
        """(user id or None, privileges): one read of the store; the hash checked outside it."""
        with self.store.transaction(write=False) as tx:
            user = tx.user(username)
            privileges = tuple(tx.privileges(user[0])) if user else ()
        if user is None or not self._password_ok(username, password, user[2]):
            return None, ()
        return user[0], privileges

    def _principal(self, user_id: int, factors: tuple[str, ...]) -> Principal:
        with self.store.transaction(write=False) as tx:
            user = tx.user_by_id(user_id)
            if user is None:
                raise Unauthorized("the user of these credentials no longer exists")
            return Principal(user_id, user[1], factors, tuple(tx.privileges(user_id)))

    def authenticate(self, headers: Mapping[str, str], now: float) -> Principal:
        """The principal of a request's `Authorization` header; 401 when there is none."""
        header = headers.get("Authorization", "")
        scheme, _, credentials = header.strip().partition(" ")
        scheme, credentials = scheme.lower(), credentials.strip()
        if scheme == "basic" and credentials:
            return self._basic(credentials, headers.get(OTP_HEADER))
        if scheme == "bearer" and credentials:
            return self._bearer(credentials, now)
        raise Unauthorized("credentials required: HTTP Basic or a Bearer token")

    def _basic(self, credentials: str, otp: str | None) -> Principal:
        key = hmac.new(self._key, credentials.encode(), "sha256").hexdigest()
        principal = self._principals.get(key) or self._basic_checked(credentials)
        with self._lock:
            if len(self._principals) >= _VERIFIED_CACHE_SIZE:
                self._principals.clear()
            self._principals[key] = principal
        if self.require_otp:
            if not otp_ok(otp):
                message = f"a Yubikey one-time password is required in {OTP_HEADER}"
                raise Forbidden(message) if self.otp_refusal == 403 else Unauthorized(message)
            return dataclasses.replace(principal, factors=(*principal.factors, "yubikey"))
        return principal

    def _basic_checked(self, credentials: str) -> Principal:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise Unauthorized("malformed HTTP Basic credentials") from None
        username, colon, password = decoded.partition(":")
        user_id, privileges = self._check_password(username, password) if colon else (None, ())
        if user_id is None:
            raise Unauthorized("wrong username or password")
        return Principal(user_id, username, ("password",), privileges)

    def _bearer(self, token: str, now: float) -> Principal:
        if token.startswith(API_KEY_PREFIX):
            with self.store.transaction(write=False) as tx:
                user_id = tx.api_key_user(digest(token.removeprefix(API_KEY_PREFIX)))
            if user_id is None:
                raise Unauthorized("unknown API key")
            return self._principal(user_id, ("apikey",))
        with self.store.transaction() as tx:
            session = tx.live_session(digest(token), now, now + SESSION_LIFETIME)
        if session is None:
            raise Unauthorized("invalid or expired session token")
        return self._principal(session[0], tuple(session[1]))

    # --- the auth service ---------------------------------------------------------------
    def login(self, credentials: Mapping[str, str], now: float) -> str:
        """A new session token for valid credentials; the service's refusals otherwise."""
        user_id = self._user_id(credentials["username"], credentials["password"])
        if user_id is None:
            raise Refused(BAD_CREDENTIALS)
        factors = ["password"]
        if self.require_otp:
            otp = credentials.get("yubikey") or credentials.get("2fa")
            if not otp:
                raise Refused(MISSING_2FA)
            if not otp_ok(otp):
                raise Refused(AUTHENTICATION_FAILED)
            factors.append("yubikey")
        token = secrets.token_urlsafe(32)
        with self.store.transaction() as tx:
            tx.insert_session(digest(token), user_id, factors, now + SESSION_LIFETIME)
        return token

    def session(self, token: str, now: float) -> dict[str, object] | None:
        """What `GET /session/{token}` answers (and the session extended), or None."""
        with self.store.transaction() as tx:
            session = tx.live_session(digest(token), now, now + SESSION_LIFETIME)
            user = tx.user_by_id(session[0]) if session else None
        if session is None or user is None:
            return None
        return {"username": user[1], "factors": session[1], "group_memberships": []}
