"""The faults that break authentication (auth.basic)."""

from __future__ import annotations

from tests.faults import faults as f
from tests.faults.entry import (
    ALL_VM,
    GET,
    LIST,
    NO_CREDENTIALS,
    OTP_ENFORCED,
    WRONG_PASSWORD,
    Entry,
    on,
    scenario,
)

# A table written as code: one Entry a fault, alike by design (duplicates lists their shape).
AUTH: list[Entry] = [
    Entry(
        f.Restatus(
            "unauthenticated-answers-403",
            "Requests without valid credentials answer 403 instead of 401.",
            "auth.basic: no or wrong credentials give 401",
            operations=ALL_VM
            | {"deleteVirtualMachine", "reimageVirtualMachine", "signalVirtualMachine"},
            old=401,
            new=403,
        ),
        (scenario(NO_CREDENTIALS), scenario(WRONG_PASSWORD)),
    ),
    Entry(
        f.InjectCredentials(
            "auth-not-enforced",
            "Requests without credentials are served (as the seeded user).",
            "auth.basic: no credentials give 401",
            needs_help=f.no_credentials,
        ),
        (scenario(NO_CREDENTIALS), on(LIST, "ignored_auth"), on(GET, "ignored_auth")),
    ),
    Entry(
        f.InjectCredentials(
            "wrong-password-accepted",
            "HTTP Basic with a wrong password (or user) is served.",
            "auth.basic: wrong credentials give 401",
            needs_help=f.wrong_basic_credentials,
        ),
        (scenario(WRONG_PASSWORD), on(LIST, "ignored_auth"), on(GET, "ignored_auth")),
    ),
    Entry(
        f.InjectCredentials(
            "otp-ignored",
            "Where a Yubikey OTP is required, requests without one (or a bad one) are served.",
            "auth.basic: X-Yubikey-Otp is required when the privilege needs it",
            needs_help=f.missing_or_bad_otp,
        ),
        (scenario(OTP_ENFORCED),),
        otp=True,
    ),
]
