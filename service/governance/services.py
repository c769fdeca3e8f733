"""Recording governance: congresses electing committees, meetings, officers and handovers.

Services take validated data, check the domain's rules before they write, add rows and never
commit: the request (or job) commits once, at its end. A broken rule raises `GovernanceError`
with a message for the clerk; a record looked up by id is `access_<thing>`, NotFound when the
caller's scope does not hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from service.access import in_scope
from service.errors import NotFound, RuleBroken
from service.files import services as files
from service.files.checks import CheckedUpload
from service.governance.models import (
    Body,
    CommitteeMember,
    CommitteeTerm,
    Congress,
    Eligibility,
    Establishment,
    FoundingDocument,
    Meeting,
    Officer,
    Post,
    Secretariat,
    StandingCommittee,
)
from service.i18n import lazy_gettext as _l
from tenants.access import find_in_scope
from tenants.db import db

if TYPE_CHECKING:  # a hint only: files are kept and read through their services
    from service.files.models import StoredFile


class GovernanceError(RuleBroken):
    """Input that breaks a governance rule; `field` names the form field to blame."""


# --- one record by id: NotFound for a missing id and another association's alike -------


def access_congress(congress_id: int) -> Congress:
    """A congress session of an association the current scope holds; NotFound otherwise."""
    return in_scope(Congress, congress_id)


def access_committee_term(term_id: int) -> CommitteeTerm:
    """A committee term (with its members) of an association the current scope holds;
    NotFound otherwise."""
    return in_scope(CommitteeTerm, term_id)


def access_meeting(meeting_id: int) -> Meeting:
    """A meeting of an association the current scope holds; NotFound otherwise."""
    return in_scope(Meeting, meeting_id)


def access_minutes_file(meeting_id: int) -> StoredFile:
    """The minutes file of a meeting the current scope holds (`access_meeting`); NotFound
    too when the meeting keeps its minutes as text only."""
    meeting = access_meeting(meeting_id)
    if meeting.minutes_file is None:
        raise NotFound(_l("No minutes file is kept for this meeting."))
    return meeting.minutes_file


def access_officer(officer_id: int) -> Officer:
    """One officer's term in a post (chair, vice-chair, secretary-general) of an association
    the current scope holds; NotFound otherwise."""
    return in_scope(Officer, officer_id)


def access_founding_document(founding_document_id: int) -> FoundingDocument:
    """One of the founding papers of an association the current scope holds; NotFound
    otherwise."""
    return in_scope(FoundingDocument, founding_document_id)


# --- reading --------------------------------------------------------------------------


def congresses(association_id: int) -> sa.Select:
    return (
        sa.select(Congress)
        .where(Congress.tenant_id == association_id)
        .order_by(Congress.held_on.desc(), Congress.id.desc())
    )


def committee_terms(association_id: int) -> sa.Select:
    return (
        sa.select(CommitteeTerm)
        .where(CommitteeTerm.tenant_id == association_id)
        .order_by(CommitteeTerm.starts_on.desc(), CommitteeTerm.id.desc())
    )


def meetings(association_id: int, body: str | None = None) -> sa.Select:
    query = sa.select(Meeting).where(Meeting.tenant_id == association_id)
    if body:
        query = query.where(Meeting.body == body)
    return query.order_by(Meeting.held_on.desc(), Meeting.id.desc())


def officers(
    association_id: int, post: str | None = None, holding_on: date | None = None
) -> sa.Select:
    """Every term in every post, current and past (the handover history); with
    `holding_on`, only the terms held on that day."""
    query = sa.select(Officer).where(Officer.tenant_id == association_id)
    if post:
        query = query.where(Officer.post == post)
    if holding_on:
        query = query.where(
            Officer.starts_on <= holding_on,
            sa.or_(Officer.ends_on.is_(None), Officer.ends_on > holding_on),
        )
    return query.order_by(Officer.post, Officer.starts_on.desc(), Officer.id.desc())


def current_term(association_id: int, day: date) -> CommitteeTerm | None:
    """The committee in office on `day`: the latest started, not yet ended."""
    return db.session.scalars(
        sa.select(CommitteeTerm)
        .where(
            CommitteeTerm.tenant_id == association_id,
            CommitteeTerm.starts_on <= day,
            sa.or_(CommitteeTerm.ends_on.is_(None), CommitteeTerm.ends_on > day),
        )
        .order_by(CommitteeTerm.starts_on.desc(), CommitteeTerm.id.desc())
        .limit(1)
    ).first()


def current_officers(association_id: int, day: date) -> list[Officer]:
    return [o for o in db.session.scalars(officers(association_id)) if o.holds_on(day)]


def secretariat(association_id: int) -> Secretariat | None:
    return db.session.scalar(sa.select(Secretariat).where(Secretariat.tenant_id == association_id))


def approving_meetings(association_id: int) -> list[Meeting]:
    """The meetings that may approve a secretary-general: the committee's and the standing
    committee's, latest first."""
    return [m for m in db.session.scalars(meetings(association_id)) if m.body != Body.CONGRESS]


@dataclass(frozen=True)
class Record:
    """An association's governance as its overview shows it, latest first."""

    congresses: list[Congress]
    terms: list[CommitteeTerm]
    meetings: list[Meeting]
    officers: list[Officer]
    secretariat: Secretariat | None
    establishment: Establishment | None
    founding_documents: list[FoundingDocument]


def record_of(association_id: int) -> Record:
    """Everything the overview shows, each kind of record in one statement (the terms' members
    and standing committees, and the meetings that approved officers, loaded with them): the
    compliance rules read the same records (`compliance.records_from`)."""
    return Record(
        congresses=db.session.scalars(congresses(association_id)).all(),
        terms=db.session.scalars(
            committee_terms(association_id).options(
                selectinload(CommitteeTerm.members), selectinload(CommitteeTerm.standing_committee)
            )
        ).all(),
        meetings=db.session.scalars(meetings(association_id)).all(),
        officers=db.session.scalars(
            officers(association_id).options(joinedload(Officer.approving_meeting))
        ).all(),
        secretariat=secretariat(association_id),
        establishment=db.session.scalar(
            sa.select(Establishment).where(Establishment.tenant_id == association_id)
        ),
        founding_documents=db.session.scalars(
            sa.select(FoundingDocument)
            .where(FoundingDocument.tenant_id == association_id)
            .order_by(FoundingDocument.id)
        ).all(),
    )


# --- congress and committee -----------------------------------------------------------


@dataclass(frozen=True)
class NewMember:
    name: str
    unit: str | None = None
    on_standing_committee: bool = False


def hold_congress(
    association_id: int,
    *,
    held_on: date,
    delegates: int,
    today: date,
    term_ends_on: date | None = None,
    members: list[NewMember] | None = None,
    standing_committee_formed_on: date | None = None,
    notes: str | None = None,
) -> Congress:
    """Record a congress session; with members, it elects a new committee term starting that
    day, and the committee in office until then steps down (its history stays)."""
    if held_on > today:
        raise GovernanceError(_l("A congress can be recorded once it has been held."), "held_on")
    if delegates < 1:
        raise GovernanceError(_l("A congress needs at least one delegate."), "delegates")
    if standing_committee_formed_on and not members:
        raise GovernanceError(
            _l("A standing committee is formed by a newly elected committee."), "members"
        )
    congress = Congress(tenant_id=association_id, held_on=held_on, delegates=delegates, notes=notes)
    if members:
        term = elect_committee(
            association_id, held_on, term_ends_on, members, standing_committee_formed_on
        )
        congress.elected_term_id = term.id
    db.session.add(congress)
    db.session.flush()
    return congress


def elect_committee(
    association_id: int,
    starts_on: date,
    ends_on: date | None,
    members: list[NewMember],
    standing_committee_formed_on: date | None = None,
) -> CommitteeTerm:
    """A new committee term with its members (and its standing committee), after every rule
    is checked: the committee in office steps down the day it starts."""
    if ends_on is not None and ends_on <= starts_on:
        raise GovernanceError(_l("The term must end after it starts."), "term_ends_on")
    has_standing = any(m.on_standing_committee for m in members)
    if standing_committee_formed_on or has_standing:
        if not (standing_committee_formed_on and has_standing):
            raise GovernanceError(
                _l("A standing committee needs its formation date and its members."), "members"
            )
        if standing_committee_formed_on < starts_on:
            raise GovernanceError(
                _l("The standing committee is formed after the committee is elected."),
                "standing_committee_formed_on",
            )
    previous = current_term(association_id, starts_on)
    if previous is not None and previous.starts_on == starts_on:
        raise GovernanceError(_l("A committee term already starts on that day."), "held_on")
    if previous is not None:
        previous.ends_on = starts_on
    term = CommitteeTerm(tenant_id=association_id, starts_on=starts_on, ends_on=ends_on)
    db.session.add(term)
    db.session.flush()
    for member in members:
        db.session.add(
            CommitteeMember(
                tenant_id=association_id,
                term_id=term.id,
                name=member.name,
                unit=member.unit,
                on_standing_committee=member.on_standing_committee,
            )
        )
    if standing_committee_formed_on:
        db.session.add(
            StandingCommittee(
                tenant_id=association_id, term_id=term.id, formed_on=standing_committee_formed_on
            )
        )
    db.session.flush()
    return term


# --- meetings -------------------------------------------------------------------------


def record_meeting(
    association_id: int,
    *,
    body: str,
    held_on: date,
    attendance: int,
    today: date,
    minutes: str | None = None,
    minutes_file: CheckedUpload | None = None,
    uploaded_by_user_id: int | None = None,
) -> Meeting:
    """A committee or standing-committee meeting of the term in office that day; its
    minutes as text, as a checked file, or both."""
    body = Body(body)
    if body is Body.CONGRESS:
        raise GovernanceError(_l("Record a congress as a congress session."), "body")
    if held_on > today:
        raise GovernanceError(_l("A meeting can be recorded once it has been held."), "held_on")
    if attendance < 1:
        raise GovernanceError(_l("Attendance must be at least one."), "attendance")
    term = current_term(association_id, held_on)
    if term is None:
        raise GovernanceError(_l("No committee was in office on that day."), "held_on")
    if body is Body.STANDING_COMMITTEE and (
        term.standing_committee is None or term.standing_committee.formed_on > held_on
    ):
        raise GovernanceError(_l("There was no standing committee on that day."), "body")
    seats = len(term.standing_members if body is Body.STANDING_COMMITTEE else term.members)
    if seats and attendance > seats:
        raise GovernanceError(
            _l("Attendance is more than the %(n)d seats of the body.", n=seats), "attendance"
        )
    meeting = Meeting(
        tenant_id=association_id,
        body=body.value,
        term_id=term.id,
        held_on=held_on,
        attendance=attendance,
        minutes=minutes,
    )
    db.session.add(meeting)
    db.session.flush()
    if minutes_file is not None:
        attach_minutes(meeting, minutes_file, uploaded_by_user_id)
    return meeting


def attach_minutes(
    meeting: Meeting, upload: CheckedUpload, uploaded_by_user_id: int | None = None
) -> StoredFile:
    """Keep the minutes file among the association's files; a new one replaces the link
    (the old file stays, as an earlier version, in the association's files)."""
    stored = files.store(upload, uploaded_by_user_id)
    meeting.minutes_file_id = stored.id
    db.session.flush()
    return stored


# --- officers -------------------------------------------------------------------------


def appoint(
    association_id: int,
    *,
    post: str,
    name: str,
    starts_on: date,
    eligibility: str | None = None,
    eligibility_basis: str | None = None,
    nominated_on: date | None = None,
    approving_meeting_id: int | None = None,
) -> Officer:
    """Start a term in a post. A new chair or secretary-general hands over: the holder's term
    ends the day the successor's starts."""
    post = Post(post)
    officer = Officer(tenant_id=association_id, post=post.value, name=name, starts_on=starts_on)
    if post in (Post.CHAIR, Post.VICE_CHAIR):
        _check_eligibility(eligibility, eligibility_basis)
        officer.eligibility, officer.eligibility_basis = eligibility, eligibility_basis
    else:
        meeting = _check_secretary_general_approval(nominated_on, approving_meeting_id, starts_on)
        officer.nominated_on, officer.approving_meeting_id = nominated_on, meeting.id
    if post in (Post.CHAIR, Post.SECRETARY_GENERAL):
        holders = [h for h in current_officers(association_id, starts_on) if h.post == post.value]
        if any(holder.starts_on >= starts_on for holder in holders):
            raise GovernanceError(
                _l("The current holder's term starts on or after that day."), "starts_on"
            )
        for holder in holders:
            holder.ends_on = starts_on
    db.session.add(officer)
    db.session.flush()
    return officer


def _check_eligibility(eligibility: str | None, basis: str | None) -> None:
    if eligibility not in {e.value for e in Eligibility}:
        raise GovernanceError(
            _l("Say whether the person is a university-level leader or a renowned expert."),
            "eligibility",
        )
    if not basis or not basis.strip():
        raise GovernanceError(
            _l("Give the basis: the leadership post, or the expert's standing."),
            "eligibility_basis",
        )


def _check_secretary_general_approval(
    nominated_on: date | None, meeting_id: int | None, starts_on: date
) -> Meeting:
    """Nominated by the chair, approved by a committee or standing-committee meeting."""
    if nominated_on is None:
        raise GovernanceError(_l("Give the date the chair nominated them."), "nominated_on")
    if meeting_id is None:
        raise GovernanceError(_l("Choose the meeting that approved them."), "approving_meeting_id")
    meeting = find_in_scope(Meeting, meeting_id)
    if meeting is None or meeting.body == Body.CONGRESS.value:
        raise GovernanceError(
            _l("Approval comes from a meeting of the committee or the standing committee."),
            "approving_meeting_id",
        )
    if not nominated_on <= meeting.held_on <= starts_on:
        raise GovernanceError(
            _l("The nomination comes before the approving meeting, and that before the term."),
            "nominated_on",
        )
    return meeting


def end_term(officer: Officer, ends_on: date) -> Officer:
    """A vice-chair leaves, or any post falls vacant, without a successor yet."""
    if officer.ends_on is not None:
        raise GovernanceError(_l("This term has already ended."), "ends_on")
    if ends_on <= officer.starts_on:
        raise GovernanceError(_l("The term must end after it starts."), "ends_on")
    officer.ends_on = ends_on
    return officer


def set_host_office(association_id: int, host_office: str) -> Secretariat:
    host_office = host_office.strip()
    if not host_office:
        raise GovernanceError(_l("Name the office that hosts the secretariat."), "host_office")
    row = secretariat(association_id)
    if row is None:
        row = Secretariat(tenant_id=association_id, host_office=host_office)
        db.session.add(row)
    else:
        row.host_office = host_office
    db.session.flush()
    return row
