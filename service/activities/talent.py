"""Award nominations and exemplars, with their approval steps.

Nominations: the association proposes (with the nominee's consent to be named on record);
the federation endorses it upward or declines it with a reason; the association records the
outcome. An award of the "other" level (a society's, the university's) needs no endorsement.

Exemplars: the association proposes a person or team; the federation recognises or declines
with a reason; a recognised exemplar whose consent is on record may be published on the
federation's public page. Withdrawing consent unpublishes at once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from service.access import in_scope
from service.activities.models import (
    AwardLevel,
    Exemplar,
    ExemplarKind,
    ExemplarStatus,
    Nomination,
    NominationStatus,
)
from service.errors import RuleBroken
from service.federation import exemplars as exemplar_page
from service.i18n import lazy_gettext as _l
from tenants.db import db
from tenants.models import Association, Federation, utcnow


class TalentError(RuleBroken):
    """A refusal a clerk or officer can act on."""


NOMINATION_FIELDS = ("award", "level", "year", "nominee_name", "nominee_unit", "citation")
EXEMPLAR_FIELDS = ("kind", "name", "unit", "deeds", "year")


def access_nomination(nomination_id: int) -> Nomination:
    """The nomination with this id if the current scope holds it (its association's, or
    one of its federation's associations'). Raises `NotFound` for missing and not-yours
    alike."""
    return in_scope(Nomination, nomination_id)


def access_exemplar(exemplar_id: int) -> Exemplar:
    """The exemplar with this id if the current scope holds it. Raises `NotFound` for
    missing and not-yours alike."""
    return in_scope(Exemplar, exemplar_id)


def nominations_query(status: str | None = None, year: int | None = None) -> sa.Select:
    query = sa.select(Nomination).order_by(Nomination.year.desc(), Nomination.id.desc())
    if status:
        query = query.where(Nomination.status == status)
    if year:
        query = query.where(Nomination.year == year)
    return query


def nominations(status: str | None = None, year: int | None = None) -> list[Nomination]:
    return list(db.session.scalars(nominations_query(status, year)))


def exemplars_query(status: str | None = None, year: int | None = None) -> sa.Select:
    query = sa.select(Exemplar).order_by(Exemplar.year.desc(), Exemplar.id.desc())
    if status:
        query = query.where(Exemplar.status == status)
    if year:
        query = query.where(Exemplar.year == year)
    return query


def exemplars(status: str | None = None, year: int | None = None) -> list[Exemplar]:
    return list(db.session.scalars(exemplars_query(status, year)))


def _text(value: Any, limit: int) -> str | None:
    text = (str(value).strip() if value is not None else "")[:limit]
    return text or None


def _check_year(year: Any) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise TalentError(_l("Give the year as four digits."))


# --- nominations ---------------------------------------------------------------------------


def propose_nomination(data: dict[str, Any], proposed_by: str) -> Nomination:
    values = {
        "award": _text(data.get("award"), 200),
        "level": data.get("level"),
        "year": data.get("year"),
        "nominee_name": _text(data.get("nominee_name"), 50),
        "nominee_unit": _text(data.get("nominee_unit"), 200),
        "citation": _text(data.get("citation"), 5000),
    }
    if not values["award"] or not values["nominee_name"]:
        raise TalentError(_l("Name the award and the nominee."))
    if values["level"] not in {level.value for level in AwardLevel}:
        raise TalentError(_l("Choose the award's level."))
    _check_year(values["year"])
    nomination = Nomination(**values, proposed_by=proposed_by)
    set_nomination_consent(nomination, bool(data.get("consent_given")))
    db.session.add(nomination)
    db.session.flush()  # its id, for the page or the answer
    return nomination


def set_nomination_consent(nomination: Nomination, given: bool) -> None:
    """Record the nominee's consent to be named (or its withdrawal)."""
    if given != bool(nomination.consent_given) or nomination.consent_given is None:
        nomination.consent_given = given
        nomination.consent_recorded_at = utcnow() if given else None


def endorse_nomination(nomination: Nomination, decided_by: str) -> None:
    """The federation recommends the nominee upward: only with consent to be named."""
    if nomination.status != NominationStatus.PROPOSED.value:
        raise TalentError(_l("Only a proposed nomination can be decided."))
    if not nomination.consent_given:
        raise TalentError(_l("The nominee has not consented to be named; it cannot go forward."))
    nomination.status = NominationStatus.ENDORSED.value
    nomination.decided_by, nomination.decided_at = decided_by, utcnow()
    nomination.decision_reason = None


def decline_nomination(nomination: Nomination, decided_by: str, reason: str) -> None:
    if nomination.status != NominationStatus.PROPOSED.value:
        raise TalentError(_l("Only a proposed nomination can be decided."))
    if not (reason or "").strip():
        raise TalentError(_l("Give the reason for declining."))
    nomination.status = NominationStatus.DECLINED.value
    nomination.decided_by, nomination.decided_at = decided_by, utcnow()
    nomination.decision_reason = reason.strip()[:500]


def record_outcome(nomination: Nomination, awarded: bool) -> None:
    """What the award body decided. Provincial and national nominations go through the
    federation first; an award of another level may be recorded straight away."""
    ready = nomination.status == NominationStatus.ENDORSED.value or (
        nomination.status == NominationStatus.PROPOSED.value
        and nomination.level == AwardLevel.OTHER.value
    )
    if not ready:
        raise TalentError(_l("The outcome is recorded after the federation endorses it."))
    nomination.status = (
        NominationStatus.AWARDED if awarded else NominationStatus.NOT_AWARDED
    ).value
    nomination.outcome_recorded_at = utcnow()


def public_nominee_name(nomination: Nomination) -> str | None:
    """The nominee's name where it may be shown publicly: only with consent."""
    return nomination.nominee_name if nomination.consent_given else None


# --- exemplars -----------------------------------------------------------------------------


def propose_exemplar(data: dict[str, Any], proposed_by: str) -> Exemplar:
    values = {
        "kind": data.get("kind"),
        "name": _text(data.get("name"), 100),
        "unit": _text(data.get("unit"), 200),
        "deeds": _text(data.get("deeds"), 5000),
        "year": data.get("year"),
    }
    if values["kind"] not in {k.value for k in ExemplarKind}:
        raise TalentError(_l("Say whether the exemplar is a person or a team."))
    if not values["name"] or not values["deeds"]:
        raise TalentError(_l("Give the name and what they did."))
    _check_year(values["year"])
    exemplar = Exemplar(**values, proposed_by=proposed_by, published=False)
    set_exemplar_consent(exemplar, bool(data.get("consent_to_publish")))
    db.session.add(exemplar)
    db.session.flush()  # its id, for the page or the answer
    return exemplar


def set_exemplar_consent(exemplar: Exemplar, given: bool) -> None:
    """Record consent to publication; withdrawing it takes the exemplar off the page."""
    if given != bool(exemplar.consent_to_publish) or exemplar.consent_to_publish is None:
        exemplar.consent_to_publish = given
        exemplar.consent_recorded_at = utcnow() if given else None
    if not given and exemplar.published:
        exemplar.published = False
        exemplar.published_at = None


def recognise_exemplar(exemplar: Exemplar, decided_by: str) -> None:
    if exemplar.status != ExemplarStatus.PROPOSED.value:
        raise TalentError(_l("Only a proposed exemplar can be decided."))
    exemplar.status = ExemplarStatus.RECOGNISED.value
    exemplar.decided_by, exemplar.decided_at = decided_by, utcnow()
    exemplar.decision_reason = None


def decline_exemplar(exemplar: Exemplar, decided_by: str, reason: str) -> None:
    if exemplar.status != ExemplarStatus.PROPOSED.value:
        raise TalentError(_l("Only a proposed exemplar can be decided."))
    if not (reason or "").strip():
        raise TalentError(_l("Give the reason for declining."))
    exemplar.status = ExemplarStatus.DECLINED.value
    exemplar.decided_by, exemplar.decided_at = decided_by, utcnow()
    exemplar.decision_reason = reason.strip()[:500]


def publish_exemplar(exemplar: Exemplar, publish: bool) -> None:
    if publish:
        if exemplar.status != ExemplarStatus.RECOGNISED.value:
            raise TalentError(_l("Only a recognised exemplar can be published."))
        if not exemplar.consent_to_publish:
            raise TalentError(_l("Publication needs the exemplar's consent on record."))
        if not exemplar.published:
            exemplar.published, exemplar.published_at = True, utcnow()
    else:
        exemplar.published, exemplar.published_at = False, None


def public_awards() -> list[tuple[Nomination, str]]:
    """Awards won whose nominee consented to be named, for the federation's page."""
    rows = db.session.execute(
        sa.select(Nomination, Association.name)
        .join(Association, Association.id == Nomination.tenant_id)
        .where(
            Nomination.status == NominationStatus.AWARDED.value,
            Nomination.consent_given.is_(True),
        )
        .order_by(Nomination.year.desc(), Nomination.id.desc())
    )
    return [(n, name) for n, name in rows]


def published_page_code(federation_id: int) -> str | None:
    """The code in the address of the federation's public exemplar page, once published."""
    code = db.session.scalar(sa.select(Federation.code).where(Federation.id == federation_id))
    if code is None or exemplar_page.published_at(federation_id) is None:
        return None
    return code


def current_year() -> int:
    return date.today().year
