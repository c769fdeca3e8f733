"""The compliance engine: the document's governance rules as data plus small functions.

Each rule reads `Facts` (gathered once per association) and `Thresholds`, and returns a
`Finding`: a status, the evidence it used, and the date the status next changes by itself.
`today` is always a parameter: nothing here reads the clock.

The thresholds are the document's (section 三). A federation may tighten them for its
province, never loosen them: `validate_override` says which way is tighter for each one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from service.governance import services
from service.governance.models import (
    Body,
    ComplianceFinding,
    Congress,
    Establishment,
    Meeting,
    Post,
    ProvincialThreshold,
)
from tenants.db import db
from tenants.models import Association


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


def set_override(federation_id: int, key: str, value: int) -> ProvincialThreshold:
    error = validate_override(key, value)
    if error:
        raise services.GovernanceError(error, key)
    row = db.session.scalar(
        sa.select(ProvincialThreshold).where(
            ProvincialThreshold.federation_id == federation_id, ProvincialThreshold.key == key
        )
    )
    if row is None:
        row = ProvincialThreshold(federation_id=federation_id, key=key, value=value)
        db.session.add(row)
    row.value = value
    db.session.flush()
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


def gather(association_id: int, today: date) -> Facts:
    association = db.session.scalar(sa.select(Association).where(Association.id == association_id))
    term = services.current_term(association_id, today)
    meetings: dict[str, list[date]] = {}
    for body, held_on in db.session.execute(
        sa.select(Meeting.body, Meeting.held_on).where(
            Meeting.tenant_id == association_id, Meeting.held_on <= today
        )
    ):
        meetings.setdefault(body, []).append(held_on)
    return Facts(
        association_id=association_id,
        federation_id=association.federation_id,
        congress_dates=sorted(
            db.session.scalars(
                sa.select(Congress.held_on).where(
                    Congress.tenant_id == association_id, Congress.held_on <= today
                )
            )
        ),
        committee_starts_on=term.starts_on if term else None,
        standing_formed_on=(
            term.standing_committee.formed_on if term and term.standing_committee else None
        ),
        meetings=meetings,
        officers=services.current_officers(association_id, today),
        establishment=db.session.scalar(
            sa.select(Establishment).where(Establishment.tenant_id == association_id)
        ),
    )


# --- findings -------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    rule: str
    status: Status
    evidence_key: str
    evidence_params: dict = field(default_factory=dict)
    next_change_on: date | None = None

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


BODY_NAMES = {
    Body.COMMITTEE: _l("The committee"),
    Body.STANDING_COMMITTEE: _l("The standing committee"),
}
EVIDENCE = {
    "no_congress": _l("No congress has been recorded."),
    "congress_recent": _l("The last congress was held on %(last)s; the next is due by %(due)s."),
    "congress_overdue": _l("The last congress was held on %(last)s; the next was due by %(due)s."),
    "no_committee": _l("No committee is in office."),
    "meetings_held": _l("%(body)s met %(count)d times in %(year)d (at least %(need)d needed)."),
    "meetings_short": _l(
        "%(body)s met %(count)d times in %(year)d; at least %(need)d needed by %(due)s."
    ),
    "meetings_missed": _l(
        "%(body)s met %(count)d times in %(last_year)d, short of %(need)d, and not yet in %(year)d."
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
    if not facts.congress_dates:
        return Finding("congress", Status.MISSING, "no_congress")
    last = facts.congress_dates[-1]
    soon = _years_after(last, t.congress_due_soon_years)
    due = _years_after(last, t.congress_max_years)
    params = {"last": last.isoformat(), "due": due.isoformat()}
    if today >= due:
        return Finding("congress", Status.OVERDUE, "congress_overdue", params)
    if today >= soon:
        return Finding("congress", Status.DUE_SOON, "congress_recent", params, due)
    return Finding("congress", Status.OK, "congress_recent", params, soon)


def _meetings_rule(
    rule: str, body: Body, since: date | None, need: int, t: Thresholds, facts: Facts, today: date
) -> Finding:
    """At least `need` meetings of `body` each calendar year while it exists (since `since`)."""
    dates = facts.meetings.get(body.value, [])
    year = today.year
    this_year = sum(1 for d in dates if d.year == year)
    last_year = sum(1 for d in dates if d.year == year - 1)
    year_end = date(year, 12, 31)
    warn_from = year_end - timedelta(days=t.meeting_due_soon_days)
    params = {"body": body.value, "count": this_year, "year": year, "need": need}
    if this_year >= need:
        return Finding(rule, Status.OK, "meetings_held", params, date(year + 1, 1, 1))
    # A body that existed before last year's warning window had the whole year to meet.
    last_year_due = since is not None and since < date(year - 1, 12, 31) - timedelta(
        days=t.meeting_due_soon_days
    )
    if last_year_due and last_year < need:
        params = {**params, "count": last_year, "last_year": year - 1}
        return Finding(rule, Status.OVERDUE, "meetings_missed", params)
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


def evaluate(association_id: int, today: date) -> list[Finding]:
    """Every rule for one association, as of `today`, under the current scope."""
    facts = gather(association_id, today)
    thresholds = thresholds_for(facts.federation_id)
    return [rule.check(facts, thresholds, today) for rule in RULES]


def worst(statuses) -> Status:
    present = {Status(s) for s in statuses}
    return next((s for s in SEVERITY if s in present), Status.OK)


def store(association_id: int, findings: list[Finding], today: date) -> None:
    """Replace the stored findings; unchanged rows are left alone (a re-run writes nothing)."""
    stored = {
        f.rule: f
        for f in db.session.scalars(
            sa.select(ComplianceFinding).where(ComplianceFinding.tenant_id == association_id)
        )
    }
    for finding in findings:
        row = stored.get(finding.rule)
        if row is None:
            row = ComplianceFinding(tenant_id=association_id, rule=finding.rule)
            db.session.add(row)
        values = {
            "status": finding.status.value,
            "evidence_key": finding.evidence_key,
            "evidence_params": finding.evidence_params,
            "next_change_on": finding.next_change_on,
        }
        if any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.evaluated_on = today
        elif row.evaluated_on is None:
            row.evaluated_on = today
    db.session.flush()


def as_finding(row: ComplianceFinding) -> Finding:
    return Finding(
        row.rule,
        Status(row.status),
        row.evidence_key,
        dict(row.evidence_params or {}),
        row.next_change_on,
    )


def stored_findings(association_ids: list[int]) -> dict[int, list[Finding]]:
    """The stored findings of these associations, in rule order."""
    order = {rule.code: i for i, rule in enumerate(RULES)}
    out: dict[int, list[Finding]] = {a: [] for a in association_ids}
    rows = db.session.scalars(
        sa.select(ComplianceFinding).where(ComplianceFinding.tenant_id.in_(association_ids))
    )
    for row in rows:
        out[row.tenant_id].append(as_finding(row))
    for findings in out.values():
        findings.sort(key=lambda f: order.get(f.rule, 99))
    return out


def with_status(status: str) -> sa.Select:
    """Ids of associations with at least one finding of `status` (the list's filter)."""
    return sa.select(ComplianceFinding.tenant_id).where(ComplianceFinding.status == status)
