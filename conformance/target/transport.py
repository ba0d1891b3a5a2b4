"""Being polite to a real cloud: a request-rate cap, and retries of 429 and 503; and
bounded: no request waits longer than REQUEST_TIMEOUT, none starts past the run's deadline.

A `requests` adapter mounted on the run's session. A 429 or 503 is retried with backoff,
honouring `Retry-After`; each retry is counted (the report shows them) and the last answer is
returned as it is when retries run out, so a persistent failure is never hidden.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections import Counter
from typing import Any

from requests.adapters import HTTPAdapter

from conformance.target import deadline

RETRIED_STATUSES = frozenset({429, 503})
MAX_RETRIES = 4
MAX_DELAY = 30.0  # seconds: the longest wait a Retry-After may ask for
BACKOFF = 0.5  # seconds, doubled on each attempt when there is no Retry-After
REQUEST_TIMEOUT = 60.0  # seconds to connect, and between bytes of the answer


class RateLimiter:
    """At most `per_second` requests a second, spaced evenly (thread-safe)."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


def retry_delay(headers: Any, attempt: int, now: float | None = None) -> float:
    """Seconds to wait before retry `attempt` (0-based): Retry-After, else exponential."""
    value = (headers.get("Retry-After") or "").strip()
    if value.isdigit():
        return min(float(value), MAX_DELAY)
    if value:
        try:
            when = email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return min(max(0.0, when - (time.time() if now is None else now)), MAX_DELAY)
    return min(BACKOFF * (2**attempt), MAX_DELAY)


_LIMITERS: dict[float | None, RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()
RETRIED: Counter[int] = Counter()  # retries in this process, by status
_RETRIED_LOCK = threading.Lock()


def shared_limiter(per_second: float | None) -> RateLimiter:
    """The process's one limiter for a rate, so that every session shares the cap."""
    with _LIMITERS_LOCK:
        return _LIMITERS.setdefault(per_second, RateLimiter(per_second))


def retried() -> dict[str, int]:
    """Retries so far in this process, by status."""
    with _RETRIED_LOCK:
        return {str(status): count for status, count in sorted(RETRIED.items())}


class PoliteAdapter(HTTPAdapter):
    """Rate-limits every request, retries 429 and 503 answers, gives up on an answer that
    does not come (REQUEST_TIMEOUT) and sends nothing past the run's deadline."""

    def __init__(self, limiter: RateLimiter, retries: int = MAX_RETRIES, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limiter = limiter
        self.retries = retries

    def send(self, request: Any, **kwargs: Any) -> Any:
        attempt = 0
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = REQUEST_TIMEOUT
        while True:
            deadline.check()
            self.limiter.wait()
            response = super().send(request, **kwargs)
            if response.status_code not in RETRIED_STATUSES or attempt >= self.retries:
                return response
            with _RETRIED_LOCK:
                RETRIED[response.status_code] += 1
            delay = retry_delay(response.headers, attempt)
            response.close()
            time.sleep(delay)
            attempt += 1
