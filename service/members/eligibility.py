"""Who may be an individual member, as the document says (三、组织建设, 会员)."""

from __future__ import annotations

import functools
from enum import StrEnum

from service.i18n import lazy_gettext as _l
from service.members.models import ProfessionalTitle


class Eligibility(StrEnum):
    AUTOMATIC = "automatic"  # a member of a CAST-affiliated society working here
    MAY_JOIN = "may_join"  # intermediate or higher professional title
    EXCEPTION = "exception"  # admitted by the association with a stated reason
    NOT_ELIGIBLE = "not_eligible"


ELIGIBILITY_LABELS = {
    Eligibility.AUTOMATIC: _l("Member automatically (CAST society member)"),
    Eligibility.MAY_JOIN: _l("May join (intermediate or higher title)"),
    Eligibility.EXCEPTION: _l("Admitted by exception"),
    Eligibility.NOT_ELIGIBLE: _l("Not eligible without an exception"),
}


# Remembered: a page of members asks it for every row, with a few kinds of answer.
@functools.lru_cache(maxsize=1024)
def eligibility(
    in_cast_society: bool, title: str | ProfessionalTitle, exception_reason: str | None
) -> Eligibility:
    """Society membership first, then the title, then an explicit exception."""
    if in_cast_society:
        return Eligibility.AUTOMATIC
    if ProfessionalTitle(title).rank >= ProfessionalTitle.INTERMEDIATE.rank:
        return Eligibility.MAY_JOIN
    if exception_reason and exception_reason.strip():
        return Eligibility.EXCEPTION
    return Eligibility.NOT_ELIGIBLE
