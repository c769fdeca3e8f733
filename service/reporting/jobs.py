"""Background work for reporting: compiling a report, pushing roll-ups to national
endpoints, and closing compiles whose job died.

The functions live with the state they move (`services`, `push`), where queued jobs name
them (`service.reporting.push:deliver`, ...); this module is where a reader finds every
job of the package.
"""

from __future__ import annotations

from service.reporting.push import deliver, deliver_due
from service.reporting.services import compile_gave_up, compile_report, give_up_lost_compiles

__all__ = [
    "compile_gave_up",
    "compile_report",
    "deliver",
    "deliver_due",
    "give_up_lost_compiles",
]
