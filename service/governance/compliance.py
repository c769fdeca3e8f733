"""The compliance engine: the document's governance rules as data plus small functions.

Each rule reads `Facts` (gathered once per association and date) and `Thresholds`, and
returns a `Finding`: a status, the evidence it used, and the date the status next changes by
itself. `today` is always a parameter: nothing here reads the clock.

Every rule is checked per period: a calendar year, or for the congress a term (from one
congress to the deadline of the next). A period that ended short stays a finding (overdue,
then missing) until the federation explains it or the rule's window passes and it is
archived: next year's meeting does not make last year's gap vanish.

The thresholds are the document's (section 三). A federation may tighten them for its
province, never loosen them: `validate_override` says which way is tighter for each one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from service.access import in_scope
from service.errors import NotFound
from service.governance import services
from service.governance.models import (
    Body,
    CommitteeTerm,
    ComplianceFinding,
    Congress,
    Establishment,
    Meeting,
    Officer,
    Post,
    ProvincialThreshold,
    StandingCommittee,
)
from service.i18n import lazy_gettext as _l
from service.unique_keys import SAVED_MEANWHILE, claimed
from tenants.db import db
from tenants.models import Association, utcnow


class Status(StrEnum):
    OK = "ok"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MISSING = "missing"


STATUS_LABELS = {
    Status.OK: _l("In order"),
    Status.DUE_SOON: _l("Due soon"),
    Status.OVERDUE: _l("Overdue"),
    Status.MISSING: _l("Missing"),
}
# The congress's period before any congress is on record (other terms are keyed by the
# day of the congress that began them, years by the year).
NO_CONGRESS = "none"
# Worst first: an association's overall status is its worst finding.
SEVERITY = (Status.OVERDUE, Status.MISSING, Status.DUE_SOON, Status.OK)


@dataclass(frozen=True)
class Thresholds:
    """The numbers the rules use. Defaults are the document's."""

    congress_max_years: int = 5  # "every 3 to 5 years"
    congress_due_soon_years: int = 3
    committee_meetings_per_year: int = 1  # "once a year"
    standing_meetings_per_year: int = 1  # "once or twice a year"
    standing_meetings_max_per_year: int = 2
    meeting_due_soon_days: int = 60  # warn in the last days of a year still short of meetings


DOCUMENT = Thresholds()
# Which way tightens each threshold: "max" may only go down, "min" only up.
TIGHTER = {
    "congress_max_years": "max",
    "congress_due_soon_years": "max",
    "committee_meetings_per_year": "min",
    "standing_meetings_per_year": "min",
    "standing_meetings_max_per_year": "max",
    "meeting_due_soon_days": "min",
}
THRESHOLD_LABELS = {
    "congress_max_years": _l("Years between congresses, at most"),
    "congress_due_soon_years": _l("Years after a congress when the next is due soon"),
    "committee_meetings_per_year": _l("Committee meetings a year, at least"),
    "standing_meetings_per_year": _l("Standing-committee meetings a year, at least"),
    "standing_meetings_max_per_year": _l("Standing-committee meetings a year, at most"),
    "meeting_due_soon_days": _l("Days before the year ends to warn of missing meetings"),
}
# Sane outer limits, so a "tightening" cannot make every association overdue by accident.
LIMITS = {
    "congress_max_years": (1, 5),
    "congress_due_soon_years": (1, 5),
    "committee_meetings_per_year": (1, 12),
    # "Once or twice a year": a province cannot ask for more than the document allows.
    "standing_meetings_per_year": (1, 2),
    "standing_meetings_max_per_year": (1, 2),
    "meeting_due_soon_days": (1, 180),
}


def validate_override(key: str, value: int) -> str | None:
    """None if a federation may set `key` to `value`; else why not."""
    if key not in TIGHTER:
        return str(_l("There is no such threshold."))
    document = getattr(DOCUMENT, key)
    looser = value > document if TIGHTER[key] == "max" else value < document
    if looser:
        return str(_l("A province may tighten the document's rule, not loosen it."))
    low, high = LIMITS[key]
    if not low <= value <= high:
        return str(_l("Choose a value from %(low)d to %(high)d.", low=low, high=high))
    return None


def thresholds_for(federation_id: int) -> Thresholds:
    overrides = db.session.execute(
        sa.select(ProvincialThreshold.key, ProvincialThreshold.value).where(
            ProvincialThreshold.federation_id == federation_id
        )
    ).all()
    valid = {k: v for k, v in overrides if validate_override(k, v) is None}
    thresholds = replace(DOCUMENT, **valid)
    if thresholds.congress_due_soon_years > thresholds.congress_max_years:
        thresholds = replace(thresholds, congress_due_soon_years=thresholds.congress_max_years)
    if thresholds.standing_meetings_per_year > thresholds.standing_meetings_max_per_year:
        # Both tightened past each other: the stricter "at least" wins, still within 1-2.
        thresholds = replace(
            thresholds, standing_meetings_max_per_year=thresholds.standing_meetings_per_year
        )
    return thresholds


def set_overrides(federation_id: int, values: dict[str, int]) -> None:
    """The province's thresholds, all or none: every value is checked before any is kept."""
    for key, value in values.items():
        error = validate_override(key, value)
        if error:
            raise services.GovernanceError(error, key)
    for key, value in values.items():
        set_override(federation_id, key, value)


def set_override(federation_id: int, key: str, value: int) -> ProvincialThreshold:
    error = validate_override(key, value)
    if error:
        raise services.GovernanceError(error, key)
    row = db.session.scalar(
        sa.select(ProvincialThreshold).where(
            ProvincialThreshold.federation_id == federation_id, ProvincialThreshold.key == key
        )
    )
    with claimed(ProvincialThreshold, {"key": SAVED_MEANWHILE}):  # flushed
        if row is None:
            row = ProvincialThreshold(federation_id=federation_id, key=key, value=value)
            db.session.add(row)
        row.value = value
    return row


# --- facts ----------------------------------------------------------------------------


@dataclass
class Facts:
    """What the rules read about one association, gathered in a few queries."""

    association_id: int
    federation_id: int
    congress_dates: list[date] = field(default_factory=list)
    committee_starts_on: date | None = None
    standing_formed_on: date | None = None
    meetings: dict[str, list[date]] = field(default_factory=dict)
    officers: list = field(default_factory=list)  # current Officer rows
    establishment: Establishment | None = None


@dataclass(frozen=True)
class Records:
    """What the rules may read about one association up to a day, in three statements:
    read once, and the facts of that day or any earlier one taken from it (`facts_on`), so
    an evaluation that looks at several year ends reads the records once."""

    association_id: int
    federation_id: int
    until: date
    congress_dates: list[date]
    # (starts on, ends on, id, the day its standing committee was formed), every term in
    # the order it started
    terms: list[tuple[date, date | None, int, date | None]]
    meetings: list[tuple[str, date]]  # (body, held on), by day
    officers: list  # every Officer row, as `services.officers` orders them
    establishment: Establishment | None


# The dated records of `records_until`, one UNION ALL: (kind, body, day, ends on, formed on, id).
_CONGRESS, _MEETING, _TERM = "c", "m", "t"


def _dated_records(association_id: int, until: date) -> sa.CompoundSelect:
    no_date, no_text = sa.cast(sa.null(), sa.Date), sa.cast(sa.null(), sa.String)
    no_id = sa.cast(sa.null(), sa.BigInteger)
    return sa.union_all(
        sa.select(
            sa.literal(_CONGRESS, sa.String).label("kind"),
            no_text.label("body"),
            Congress.held_on.label("day"),
            no_date.label("ends_on"),
            no_date.label("formed_on"),
            no_id.label("id"),
        ).where(Congress.tenant_id == association_id, Congress.held_on <= until),
        sa.select(
            sa.literal(_MEETING, sa.String), Meeting.body, Meeting.held_on, no_date, no_date, no_id
        ).where(Meeting.tenant_id == association_id, Meeting.held_on <= until),
        sa.select(
            sa.literal(_TERM, sa.String),
            no_text,
            CommitteeTerm.starts_on,
            CommitteeTerm.ends_on,
            StandingCommittee.formed_on,
            CommitteeTerm.id,
        )
        .outerjoin(
            StandingCommittee,
            sa.and_(
                StandingCommittee.tenant_id == CommitteeTerm.tenant_id,
                StandingCommittee.term_id == CommitteeTerm.id,
            ),
        )
        .where(CommitteeTerm.tenant_id == association_id),
    )


def records_until(association_id: int, until: date) -> Records:
    """The association's governance records up to `until`: its federation and establishment,
    its congresses, meetings and committee terms (one statement), and its officers with the
    meetings that approved them."""
    row = db.session.execute(
        sa.select(Association.federation_id, Establishment)
        .outerjoin(Establishment, Establishment.tenant_id == Association.id)
        .where(Association.id == association_id)
    ).one_or_none()
    if row is None:
        raise NotFound()
    congress_dates, meetings, terms = [], [], []
    for kind, body, day, ends_on, formed_on, term_id in db.session.execute(
        _dated_records(association_id, until)
    ):
        if kind == _CONGRESS:
            congress_dates.append(day)
        elif kind == _MEETING:
            meetings.append((body, day))
        else:
            terms.append((day, ends_on, term_id, formed_on))
    officers = db.session.scalars(
        services.officers(association_id).options(joinedload(Officer.approving_meeting))
    ).all()
    return Records(
        association_id=association_id,
        federation_id=row.federation_id,
        until=until,
        congress_dates=sorted(congress_dates),
        terms=sorted(terms, key=_by_start),
        meetings=sorted(meetings, key=_by_day),
        officers=list(officers),
        establishment=row.Establishment,
    )


def _by_start(term: tuple) -> tuple[date, int]:
    return term[0], term[2]


def _by_day(meeting: tuple[str, date]) -> tuple[date, str]:
    return meeting[1], meeting[0]


def records_from(association: Association, record: services.Record, until: date) -> Records:
    """The same records, taken from what the overview read already (`services.record_of`)."""
    return Records(
        association_id=association.id,
        federation_id=association.federation_id,
        until=until,
        congress_dates=sorted(c.held_on for c in record.congresses if c.held_on <= until),
        terms=sorted(
            (
                (
                    t.starts_on,
                    t.ends_on,
                    t.id,
                    t.standing_committee.formed_on if t.standing_committee else None,
                )
                for t in record.terms
            ),
            key=_by_start,
        ),
        meetings=sorted(
            ((m.body, m.held_on) for m in record.meetings if m.held_on <= until), key=_by_day
        ),
        officers=list(record.officers),  # ordered as `services.officers` orders them
        establishment=record.establishment,
    )


def facts_on(record: Records, day: date) -> Facts:
    """The facts as they stood on `day` (on or before the records' last day)."""
    if day > record.until:
        raise ValueError(f"the records end on {record.until}, before {day}")
    # The committee in office: the latest started, not yet ended (`services.current_term`).
    in_office = [t for t in record.terms if t[0] <= day and (t[1] is None or t[1] > day)]
    term = max(in_office, key=lambda t: (t[0], t[2]), default=None)
    meetings: dict[str, list[date]] = {}
    for body, held_on in record.meetings:
        if held_on <= day:
            meetings.setdefault(body, []).append(held_on)
    return Facts(
        association_id=record.association_id,
        federation_id=record.federation_id,
        congress_dates=[d for d in record.congress_dates if d <= day],
        committee_starts_on=term[0] if term else None,
        standing_formed_on=term[3] if term else None,
        meetings=meetings,
        officers=[o for o in record.officers if o.holds_on(day)],
        establishment=record.establishment,
    )


def gather(association_id: int, today: date) -> Facts:
    return facts_on(records_until(association_id, today), today)


# --- findings -------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    rule: str
    status: Status
    evidence_key: str
    evidence_params: dict = field(default_factory=dict)
    next_change_on: date | None = None
    # The period it is about (a year "2025", the first day of a congress term, or
    # NO_CONGRESS), and, once stored, how it was closed.
    period: str = ""
    period_starts_on: date | None = None
    due_on: date | None = None
    id: int | None = None
    explanation: str | None = None
    explained_by: str | None = None
    explained_at: datetime | None = None
    archived_on: date | None = None

    @property
    def evidence(self) -> str:
        params = dict(self.evidence_params)
        if "body" in params:  # stored as a code, shown in the reader's language
            params["body"] = str(BODY_NAMES[Body(params["body"])])
        return str(EVIDENCE[self.evidence_key]) % params

    @property
    def label(self) -> str:
        return str(RULES_BY_CODE[self.rule].label)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def period_label(self) -> str:
        return period_label(self.period, self.due_on)

    @property
    def year(self) -> int | None:
        """The year it is listed under: the period's year, or the year the term fell due."""
        if self.period.isdigit():
            return int(self.period)
        return self.due_on.year if self.due_on else None

    @property
    def closed(self) -> bool:
        return self.explained_at is not None or self.archived_on is not None

    @property
    def is_open(self) -> bool:
        """A finding that stands: not in order, neither explained nor archived."""
        return self.status is not Status.OK and not self.closed


def period_label(period: str, due_on: date | None = None) -> str:
    """A period as the reader says it: the year, or the congress term."""
    if period == NO_CONGRESS:
        return str(_l("Before the first congress"))
    if period.isdigit() or not period:
        return period
    if due_on is None:
        return str(_l("Term from %(start)s", start=period))
    return str(_l("Term from %(start)s, due by %(due)s", start=period, due=due_on.isoformat()))


BODY_NAMES = {
    Body.COMMITTEE: _l("The committee"),
    Body.STANDING_COMMITTEE: _l("The standing committee"),
}
EVIDENCE = {
    "no_congress": _l("No congress has been recorded."),
    "congress_recent": _l("The last congress was held on %(last)s; the next is due by %(due)s."),
    "congress_overdue": _l("The last congress was held on %(last)s; the next was due by %(due)s."),
    "first_congress": _l("The first congress was held on %(next)s."),
    "congress_held": _l("The next congress was held on %(next)s, by %(due)s."),
    "congress_held_late": _l("The next congress was held on %(next)s, after %(due)s."),
    "no_committee": _l("No committee is in office."),
    "meetings_held": _l("%(body)s met %(count)d times in %(year)d (at least %(need)d needed)."),
    "meetings_short": _l(
        "%(body)s met %(count)d times in %(year)d; at least %(need)d needed by %(due)s."
    ),
    "meetings_missed": _l(
        "%(body)s met %(count)d times in %(last_year)d, short of %(need)d, and not yet in %(year)d."
    ),
    "meetings_not_due": _l(
        "%(body)s took office on %(since)s, too late in %(year)d for a meeting to be due."
    ),
    "meetings_exceeded": _l(
        "%(body)s met %(count)d times in %(year)d, more than the %(most)d a year allowed."
    ),
    "no_standing": _l("There is no standing committee; it is optional."),
    "no_chair": _l("No chair is in office."),
    "many_chairs": _l("%(count)d people hold the chair at once; there must be one."),
    "no_vice_chair": _l("No vice-chair is in office."),
    "ineligible": _l("Not marked as university-level leader or renowned expert: %(names)s."),
    "leaders_ok": _l("Chair %(chair)s and %(count)d vice-chairs, all eligible."),
    "no_secretary_general": _l("No secretary-general is in office."),
    "secretary_general_unapproved": _l(
        "Secretary-general %(name)s lacks the chair's nomination or the approving meeting."
    ),
    "secretary_general_ok": _l(
        "Secretary-general %(name)s, nominated on %(nominated)s, approved on %(approved)s."
    ),
    "no_establishment": _l(
        "The charter's acceptance and the establishment approval are not on record."
    ),
    "wrong_approver": _l("The establishment was not approved by this province's federation."),
    "established": _l(
        "Charter accepted on %(charter)s; approved on %(approved)s (No. %(number)s)."
    ),
}


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check_congress(facts: Facts, t: Thresholds, today: date) -> Finding:
    """The current term: from the last congress to the deadline of the next."""
    last = facts.congress_dates[-1] if facts.congress_dates else None
    return congress_term(facts, t, today, last)


def congress_term(facts: Facts, t: Thresholds, today: date, last: date | None) -> Finding:
    """The term that began with the congress of `last` (None: before any congress)."""
    if last is None:
        if facts.congress_dates:  # the first congress has since been held
            first = facts.congress_dates[0].isoformat()
            return Finding("congress", Status.OK, "first_congress", {"next": first})
        return Finding("congress", Status.MISSING, "no_congress")
    soon = _years_after(last, t.congress_due_soon_years)
    due = _years_after(last, t.congress_max_years)
    params = {"last": last.isoformat(), "due": due.isoformat()}
    later = [d for d in facts.congress_dates if d > last]
    if later:
        params = {"next": later[0].isoformat(), "due": due.isoformat()}
        if later[0] <= due:
            return Finding("congress", Status.OK, "congress_held", params)
        # Held, but late: the term's duty was missed, and that is not forgotten.
        return Finding("congress", Status.OVERDUE, "congress_held_late", params)
    if today >= due:
        return Finding("congress", Status.OVERDUE, "congress_overdue", params)
    if today >= soon:
        return Finding("congress", Status.DUE_SOON, "congress_recent", params, due)
    return Finding("congress", Status.OK, "congress_recent", params, soon)


def _meetings_rule(
    rule: str, body: Body, since: date | None, need: int, t: Thresholds, facts: Facts, today: date
) -> Finding:
    """At least `need` meetings of `body` in the calendar year of `today`. Earlier years are
    periods of their own (see `evaluate`), so this looks at this year only."""
    dates = facts.meetings.get(body.value, [])
    year = today.year
    this_year = sum(1 for d in dates if d.year == year)
    year_end = date(year, 12, 31)
    warn_from = year_end - timedelta(days=t.meeting_due_soon_days)
    params = {"body": body.value, "count": this_year, "year": year, "need": need}
    if this_year >= need:
        return Finding(rule, Status.OK, "meetings_held", params, date(year + 1, 1, 1))
    if since is not None and since > warn_from:
        # Formed in the year's last weeks: it had no fair chance to meet this year.
        params = {"body": body.value, "since": since.isoformat(), "year": year}
        return Finding(rule, Status.OK, "meetings_not_due", params)
    params = {**params, "due": year_end.isoformat()}
    if today >= warn_from:
        return Finding(rule, Status.DUE_SOON, "meetings_short", params, date(year + 1, 1, 1))
    return Finding(rule, Status.OK, "meetings_short", params, warn_from)


def check_committee_meets(facts: Facts, t: Thresholds, today: date) -> Finding:
    if facts.committee_starts_on is None:
        return Finding("committee_meets", Status.MISSING, "no_committee")
    return _meetings_rule(
        "committee_meets",
        Body.COMMITTEE,
        facts.committee_starts_on,
        t.committee_meetings_per_year,
        t,
        facts,
        today,
    )


def check_standing_committee_meets(facts: Facts, t: Thresholds, today: date) -> Finding:
    """Once or twice a year: too few is overdue as for the committee, and so is too many,
    since the document caps the standing committee's meetings as well."""
    if facts.standing_formed_on is None:
        return Finding("standing_committee_meets", Status.OK, "no_standing")
    held = sum(
        1 for d in facts.meetings.get(Body.STANDING_COMMITTEE.value, []) if d.year == today.year
    )
    if held > t.standing_meetings_max_per_year:
        params = {
            "body": Body.STANDING_COMMITTEE.value,
            "count": held,
            "year": today.year,
            "most": t.standing_meetings_max_per_year,
        }
        # A new year starts the count again.
        return Finding(
            "standing_committee_meets",
            Status.OVERDUE,
            "meetings_exceeded",
            params,
            date(today.year + 1, 1, 1),
        )
    return _meetings_rule(
        "standing_committee_meets",
        Body.STANDING_COMMITTEE,
        facts.standing_formed_on,
        t.standing_meetings_per_year,
        t,
        facts,
        today,
    )


def _next_term_end(officers: list) -> date | None:
    ends = [o.ends_on for o in officers if o.ends_on is not None]
    return min(ends) if ends else None


def check_chair_and_vice_chairs(facts: Facts, t: Thresholds, today: date) -> Finding:
    rule = "chair_and_vice_chairs"
    chairs = [o for o in facts.officers if o.post == Post.CHAIR.value]
    vices = [o for o in facts.officers if o.post == Post.VICE_CHAIR.value]
    if not chairs:
        return Finding(rule, Status.MISSING, "no_chair")
    if len(chairs) > 1:
        return Finding(rule, Status.OVERDUE, "many_chairs", {"count": len(chairs)})
    if not vices:
        return Finding(rule, Status.MISSING, "no_vice_chair")
    ineligible = [o.name for o in chairs + vices if not (o.eligibility and o.eligibility_basis)]
    if ineligible:
        return Finding(rule, Status.OVERDUE, "ineligible", {"names": "、".join(ineligible)})
    params = {"chair": chairs[0].name, "count": len(vices)}
    return Finding(rule, Status.OK, "leaders_ok", params, _next_term_end(chairs + vices))


def check_secretary_general(facts: Facts, t: Thresholds, today: date) -> Finding:
    rule = "secretary_general"
    holders = [o for o in facts.officers if o.post == Post.SECRETARY_GENERAL.value]
    if not holders:
        return Finding(rule, Status.MISSING, "no_secretary_general")
    sg = holders[0]
    meeting = sg.approving_meeting
    approved = (
        sg.nominated_on is not None
        and meeting is not None
        and meeting.body in (Body.COMMITTEE.value, Body.STANDING_COMMITTEE.value)
        and sg.nominated_on <= meeting.held_on <= sg.starts_on
    )
    if not approved:
        return Finding(rule, Status.OVERDUE, "secretary_general_unapproved", {"name": sg.name})
    params = {
        "name": sg.name,
        "nominated": sg.nominated_on.isoformat(),
        "approved": meeting.held_on.isoformat(),
    }
    return Finding(rule, Status.OK, "secretary_general_ok", params, sg.ends_on)


def check_establishment(facts: Facts, t: Thresholds, today: date) -> Finding:
    rule = "establishment"
    record = facts.establishment
    if record is None or record.charter_accepted_on is None or record.approved_on is None:
        return Finding(rule, Status.MISSING, "no_establishment")
    if record.approved_by_federation_id != facts.federation_id:
        return Finding(rule, Status.OVERDUE, "wrong_approver")
    params = {
        "charter": record.charter_accepted_on.isoformat(),
        "approved": record.approved_on.isoformat(),
        "number": record.document_number or "—",
    }
    return Finding(rule, Status.OK, "established", params)


@dataclass(frozen=True)
class Rule:
    code: str
    label: object
    check: Callable[[Facts, Thresholds, date], Finding]
    thresholds: tuple[str, ...] = ()
    # Checked per calendar year; otherwise per term (the congress).
    yearly: bool = True
    # How long after a period fell due an unexplained finding stays open; then it is history.
    window_years: int = 3


RULES = (
    Rule(
        "establishment",
        _l("Charter accepted and establishment approved by the provincial body"),
        check_establishment,
    ),
    Rule(
        "congress",
        _l("The congress meets every 3 to 5 years"),
        check_congress,
        ("congress_due_soon_years", "congress_max_years"),
        yearly=False,
        window_years=5,  # one more term: the next congress is where a missed one is answered
    ),
    Rule(
        "committee_meets",
        _l("The committee meets at least once each year"),
        check_committee_meets,
        ("committee_meetings_per_year", "meeting_due_soon_days"),
    ),
    Rule(
        "standing_committee_meets",
        _l("A standing committee, if any, meets once or twice a year"),
        check_standing_committee_meets,
        ("standing_meetings_per_year", "standing_meetings_max_per_year", "meeting_due_soon_days"),
    ),
    Rule(
        "chair_and_vice_chairs",
        _l("One chair and several vice-chairs, each a university leader or renowned expert"),
        check_chair_and_vice_chairs,
    ),
    Rule(
        "secretary_general",
        _l("A secretary-general nominated by the chair and approved by the committee"),
        check_secretary_general,
    ),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}
THRESHOLD_KEYS = tuple(f.name for f in fields(Thresholds))


# A period that ended short is overdue while its records may still come in (the minutes of
# a December meeting often reach the secretariat in the new year); after this it is missing.
LATE_DAYS = 90
# The duties that can still be done late; other findings keep their status when they end.
SHORT_DUTIES = ("meetings_short", "congress_overdue")


def _after_due(finding: Finding, due: date, today: date) -> Finding:
    """A finding whose period has fallen due: a duty still short is overdue, then missing.
    Nothing else about an ended period changes with the date."""
    finding = replace(finding, next_change_on=None)
    if finding.status is Status.OK or finding.evidence_key not in SHORT_DUTIES:
        return finding
    turns_missing = due + timedelta(days=LATE_DAYS)
    if today > turns_missing:
        return replace(finding, status=Status.MISSING)
    return replace(finding, status=Status.OVERDUE, next_change_on=turns_missing + timedelta(1))


def _year(rule: Rule, year: int, facts_on: Callable[[date], Facts], t: Thresholds, today: date):
    """The rule as it stood at the end of `year` (or today, in the current year)."""
    end = date(year, 12, 31)
    as_of = min(today, end)
    finding = rule.check(facts_on(as_of), t, as_of)
    finding = replace(finding, period=str(year), period_starts_on=date(year, 1, 1), due_on=end)
    return _after_due(finding, end, today) if today > end else finding


def _term(key: str, facts: Facts, t: Thresholds, today: date) -> Finding:
    if key == NO_CONGRESS:
        return replace(congress_term(facts, t, today, None), period=key)
    last = date.fromisoformat(key)
    due = _years_after(last, t.congress_max_years)
    finding = congress_term(facts, t, today, last)
    finding = replace(finding, period=key, period_starts_on=last, due_on=due)
    if finding.evidence_key == "congress_overdue":
        return _after_due(finding, due, today)
    return finding


def _may_change(row: ComplianceFinding, rule: Rule, today: date) -> bool:
    """A stored period checked again: one not in order, or still inside its rule's window
    (a late record may still put it in order; a period last checked before it ended, when
    the job did not run, may have fallen short since)."""
    if row.status != Status.OK.value or row.due_on is None:
        return True
    return today < _years_after(row.due_on, rule.window_years)


def _periods(rule: Rule, facts: Facts, today: date, kept: set[str]) -> list[str]:
    """The periods to check: the current and the one before (where the association already
    existed), and the earlier ones stored that may still change."""
    if rule.yearly:
        years = {today.year} | {int(k) for k in kept if k.isdigit()}
        # The year before counts where the association is known to have existed in it:
        # approved by then, or holding congresses (its approval may predate the platform).
        known = [facts.establishment.approved_on if facts.establishment else None]
        known += facts.congress_dates[:1]
        since = min((d for d in known if d is not None), default=None)
        if since is not None and since.year < today.year:
            years.add(today.year - 1)
        return [str(y) for y in sorted(years)]
    terms = {d.isoformat() for d in facts.congress_dates[-2:]} or {NO_CONGRESS}
    terms |= {k for k in kept if k == NO_CONGRESS or _is_date(k)}
    return sorted(terms, key=lambda k: "" if k == NO_CONGRESS else k)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def evaluate(association_id: int, today: date, records: Records | None = None) -> list[Finding]:
    """Every rule for one association as of `today`, under the current scope: per rule, its
    periods oldest first, so the last is the current one. A period the federation explained
    or that was archived is history and is not checked again. The records are read once
    (every day below is up to today), unless the caller read them already."""
    if records is None:
        records = records_until(association_id, today)
    cache: dict[date, Facts] = {}

    def facts_of(day: date) -> Facts:
        if day not in cache:
            cache[day] = facts_on(records, day)
        return cache[day]

    facts = facts_of(today)
    thresholds = thresholds_for(facts.federation_id)
    stored = _stored(association_id)
    findings = []
    for rule in RULES:
        kept = {
            period
            for (code, period), row in stored.items()
            if code == rule.code and _stands(row) and _may_change(row, rule, today)
        }
        for period in _periods(rule, facts, today, kept):
            row = stored.get((rule.code, period))
            if row is not None and not _stands(row):
                continue
            if rule.yearly:
                findings.append(_year(rule, int(period), facts_of, thresholds, today))
            else:
                findings.append(_term(period, facts, thresholds, today))
    return findings


def current(findings: list[Finding]) -> list[Finding]:
    """Each rule's finding for its current period (the last `evaluate` gives per rule)."""
    return list({f.rule: f for f in findings}.values())


def worst(statuses) -> Status:
    present = {Status(s) for s in statuses}
    return next((s for s in SEVERITY if s in present), Status.OK)


def _stored(association_id: int) -> dict[tuple[str, str], ComplianceFinding]:
    return {
        (row.rule, row.period): row
        for row in db.session.scalars(
            sa.select(ComplianceFinding).where(ComplianceFinding.tenant_id == association_id)
        )
    }


def _stands(row: ComplianceFinding) -> bool:
    return row.explained_at is None and row.archived_on is None


def standing() -> sa.ColumnElement[bool]:
    """Stored findings that count today: neither explained nor archived."""
    return sa.and_(
        ComplianceFinding.explained_at.is_(None), ComplianceFinding.archived_on.is_(None)
    )


def store(association_id: int, findings: list[Finding], today: date) -> None:
    """Write the findings by rule and period; unchanged rows are left alone (a re-run writes
    nothing), explained and archived ones are never touched again. An open finding whose
    rule's window has passed is archived."""
    stored = _stored(association_id)
    for finding in findings:
        row = stored.get((finding.rule, finding.period))
        if row is None:
            row = ComplianceFinding(
                tenant_id=association_id, rule=finding.rule, period=finding.period
            )
            db.session.add(row)
            stored[(finding.rule, finding.period)] = row
        elif not _stands(row):
            continue
        values = {
            "status": finding.status.value,
            "evidence_key": finding.evidence_key,
            "evidence_params": finding.evidence_params,
            "next_change_on": finding.next_change_on,
            "period_starts_on": finding.period_starts_on,
            "due_on": finding.due_on,
        }
        if any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.evaluated_on = today
        elif row.evaluated_on is None:
            row.evaluated_on = today
    for row in stored.values():
        rule = RULES_BY_CODE.get(row.rule)
        if rule is None or not _stands(row) or row.status == Status.OK.value or not row.due_on:
            continue
        if today >= _years_after(row.due_on, rule.window_years):
            row.archived_on = today
    db.session.flush()


def as_finding(row: ComplianceFinding) -> Finding:
    return Finding(
        row.rule,
        Status(row.status),
        row.evidence_key,
        dict(row.evidence_params or {}),
        row.next_change_on,
        period=row.period,
        period_starts_on=row.period_starts_on,
        due_on=row.due_on,
        id=row.id,
        explanation=row.explanation,
        explained_by=row.explained_by,
        explained_at=row.explained_at,
        archived_on=row.archived_on,
    )


def _in_order(findings: list[Finding]) -> list[Finding]:
    order = {rule.code: i for i, rule in enumerate(RULES)}
    return sorted(findings, key=lambda f: (order.get(f.rule, 99), f.period_starts_on or date.min))


def stored_findings(association_ids: list[int]) -> dict[int, list[Finding]]:
    """The findings that stand for these associations, in rule order: each rule's current
    period, and every earlier one still open (neither explained nor archived)."""
    out: dict[int, list[Finding]] = {a: [] for a in association_ids}
    rows = db.session.scalars(
        sa.select(ComplianceFinding).where(
            ComplianceFinding.tenant_id.in_(association_ids), standing()
        )
    )
    groups: dict[tuple[int, str], list[ComplianceFinding]] = {}
    for row in rows:
        groups.setdefault((row.tenant_id, row.rule), []).append(row)
    for (tenant_id, _rule), group in groups.items():
        latest = max(group, key=lambda r: r.period_starts_on or date.min)
        out[tenant_id].extend(
            as_finding(r) for r in group if r is latest or r.status != Status.OK.value
        )
    return {a: _in_order(findings) for a, findings in out.items()}


def with_status(status: str) -> sa.Select:
    """Ids of associations with at least one standing finding of `status` (the list's filter)."""
    return sa.select(ComplianceFinding.tenant_id).where(
        ComplianceFinding.status == status, standing()
    )


# --- open findings, explanations and history -------------------------------------------


def open_findings(association_ids: list[int]) -> list[tuple[int, Finding]]:
    """(association id, finding) of every open finding, the latest year first."""
    rows = db.session.scalars(
        sa.select(ComplianceFinding).where(
            ComplianceFinding.tenant_id.in_(association_ids),
            ComplianceFinding.status != Status.OK.value,
            standing(),
        )
    )
    return _by_year((row.tenant_id, as_finding(row)) for row in rows)


def history(association_ids: list[int]) -> list[tuple[int, Finding]]:
    """(association id, finding) of every explained or archived finding, latest first."""
    rows = db.session.scalars(
        sa.select(ComplianceFinding).where(
            ComplianceFinding.tenant_id.in_(association_ids), ~standing()
        )
    )
    return _by_year((row.tenant_id, as_finding(row)) for row in rows)


def _by_year(pairs) -> list[tuple[int, Finding]]:
    order = {rule.code: i for i, rule in enumerate(RULES)}
    return sorted(
        pairs, key=lambda p: (-(p[1].year or 0), p[0], order.get(p[1].rule, 99), p[1].period)
    )


def findings_by_id(finding_ids: Collection[int]) -> dict[int, tuple[int, Finding]]:
    """(association id, finding) of these stored findings that the current scope holds, by
    the finding's id, open or closed."""
    rows = db.session.scalars(
        sa.select(ComplianceFinding).where(ComplianceFinding.id.in_(list(finding_ids)))
    )
    return {row.id: (row.tenant_id, as_finding(row)) for row in rows}


def access_finding(finding_id: int) -> ComplianceFinding:
    """A stored finding of an association the current scope holds; NotFound for one that is
    missing or not theirs alike."""
    return in_scope(ComplianceFinding, finding_id)


def explain(row: ComplianceFinding, text: str, actor: str) -> None:
    """The federation's explanation of an open finding: who, when and what. It closes the
    finding; the audit log keeps the write."""
    text = (text or "").strip()
    if not text:
        raise services.GovernanceError(_l("Write the explanation."), "explanation")
    if row.status not in (Status.OVERDUE.value, Status.MISSING.value) or not _stands(row):
        # Due soon is not a lapse yet: explaining it would close the period before it ends.
        raise services.GovernanceError(
            _l("Only an open overdue or missing finding can be explained.")
        )
    row.explanation = text
    row.explained_by = actor
    row.explained_at = utcnow()
    db.session.flush()


def associations_with(status: str | None = None) -> sa.Select:
    """The ids of the associations in scope, by id; with `status`, only those with a
    stored finding of that status (see `with_status`)."""
    query = sa.select(Association.id).order_by(Association.id)
    if status:
        query = query.where(Association.id.in_(with_status(status)))
    return query
