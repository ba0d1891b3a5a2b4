"""One handler per operationId of the spec documents, registered in `HANDLERS`."""

from emulator.handlers import accounts, discs, sessions, vms
from emulator.handlers.base import HANDLERS, Answer, Context, PlainText, Services

__all__ = [
    "HANDLERS",
    "Answer",
    "Context",
    "PlainText",
    "Services",
    "accounts",
    "discs",
    "sessions",
    "vms",
]
