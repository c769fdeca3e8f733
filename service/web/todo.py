"""Each role's to-do list on its home page: what waits for this person, each item a link to
where it is done, with its count and its deadline where there is one.

An item is listed only when the principal has the permission to act on it (or, for the
education supervisor, to read it): the list never offers what the page behind it refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import IntEnum

from flask import url_for
from redis.exceptions import RedisError

from service import jobs
from service.activities import services as activities
from service.auth import services as auth
from service.auth.principal import Principal
from service.auth.roles import Level, Permission
from service.federation import guidance, problems
from service.governance import compliance, establishment
from service.i18n import gettext as _
from service.members import applications
from service.reporting import services as reporting
from service.suggestions import services as suggestions

P = Permission
# An annual report's status codes, as the reporting API gives them.
SUBMITTED, RETURNED, APPROVED = "submitted", "returned", "approved"
# A deadline this close is shown as due soon.
DUE_SOON = timedelta(days=14)


class Urgency(IntEnum):
    """In the list's order: what is late first."""

    OVERDUE = 0
    DUE_SOON = 1
    WAITING = 2

    @property
    def css(self) -> str:
        return {0: "overdue", 1: "due_soon", 2: "waiting"}[self.value]

    @property
    def label(self) -> str:
        return {0: _("Overdue"), 1: _("Due soon"), 2: ""}[self.value]


@dataclass(frozen=True)
class ToDo:
    text: str
    url: str
    urgency: Urgency = Urgency.WAITING
    due_on: date | None = None


def urgency_of(deadline: date | None, today: date) -> Urgency:
    if deadline is None:
        return Urgency.WAITING
    if deadline < today:
        return Urgency.OVERDUE
    return Urgency.DUE_SOON if deadline - today <= DUE_SOON else Urgency.WAITING


Source = Callable[[Principal, date], Iterator[ToDo]]


def for_principal(principal: Principal, today: date | None = None) -> list[ToDo]:
    """The principal's to-do items, the most urgent first, then by deadline."""
    today = today or date.today()
    items = [item for source in SOURCES[principal.level] for item in source(principal, today)]
    return sorted(items, key=lambda i: (i.urgency, i.due_on or date.max))


# --- an association's secretariat, and its members ----------------------------------------


def _annual_reports(principal: Principal, today: date) -> Iterator[ToDo]:
    if not principal.can(P.PREPARE_REPORTS):
        return
    for period, report in reporting.filing_status(principal.association_id):
        urgency = urgency_of(period.deadline, today)
        due = period.deadline.isoformat()
        if report is None:
            text = _(
                "Annual report %(year)d: not compiled yet; due on %(date)s.",
                year=period.year,
                date=due,
            )
            url = url_for("reporting.period", period_id=period.id)
        elif report.status == RETURNED:
            text = _(
                "Annual report %(year)d was returned with %(n)d comments; "
                "revise and submit it by %(date)s.",
                year=period.year,
                n=len(report.review_comments or {}),
                date=due,
            )
            url = url_for("reporting.report", report_id=report.id)
        elif report.status == SUBMITTED:
            continue  # with the federation now
        else:
            text = _(
                "Annual report %(year)d: not submitted yet; due on %(date)s.",
                year=period.year,
                date=due,
            )
            url = url_for("reporting.report", report_id=report.id)
        yield ToDo(text, url, urgency, period.deadline)


_COMPLIANCE_URGENCY = {
    compliance.Status.MISSING: Urgency.OVERDUE,
    compliance.Status.OVERDUE: Urgency.OVERDUE,
    compliance.Status.DUE_SOON: Urgency.DUE_SOON,
}


def _compliance(principal: Principal, today: date) -> Iterator[ToDo]:
    if not (principal.can(P.MANAGE_GOVERNANCE) or principal.can(P.RECORD_MEETINGS)):
        return
    url = url_for("governance.overview", association_id=principal.association_id)
    for finding in compliance.evaluate(principal.association_id, today):
        if finding.status in _COMPLIANCE_URGENCY:
            period = f" · {finding.period_label}" if finding.period else ""
            text = f"{finding.status_label} · {finding.label}{period}: {finding.evidence}"
            yield ToDo(text, url, _COMPLIANCE_URGENCY[finding.status])


def _activities(principal: Principal, today: date) -> Iterator[ToDo]:
    if principal.can(P.RECORD_ACTIVITIES):
        n = activities.held_not_reported_count()
        if n:
            text = _("%(n)d activities are held but not yet reported.", n=n)
            yield ToDo(text, url_for("activities.index", status="held"))


def _applications(principal: Principal, today: date) -> Iterator[ToDo]:
    if principal.can(P.EDIT_MEMBERS):
        n = applications.pending_count()
        if n:
            text = _("%(n)d applications to join wait for a decision.", n=n)
            yield ToDo(text, url_for("members.applications_index"))


def _suggestions(principal: Principal, today: date) -> Iterator[ToDo]:
    if principal.can(P.HANDLE_SUGGESTIONS):
        n = suggestions.state_counts().get("received", 0)
        if n:
            text = _("%(n)d suggestions wait to be taken in hand.", n=n)
            yield ToDo(text, url_for("suggestions.inbox", state="received"))


def _guidance(principal: Principal, today: date) -> Iterator[ToDo]:
    if not principal.can(P.RESPOND_GUIDANCE):
        return
    for item, receipt in guidance.waiting_for(principal.association_id):
        if item.response_required:
            text = _("Answer the guidance “%(title)s”.", title=item.title)
        else:
            text = _("Acknowledge the guidance “%(title)s”.", title=item.title)
        if receipt.reminders_sent:
            reminded = receipt.reminded_at.strftime("%Y-%m-%d")
            text += " " + _("The federation reminded you on %(date)s.", date=reminded)
        url = url_for("inbox.read", guidance_id=item.id)
        yield ToDo(text, url, urgency_of(item.deadline, today), item.deadline)


def _profile(principal: Principal, today: date) -> Iterator[ToDo]:
    if principal.can(P.EDIT_PROFILE):
        from service.associations import services as associations

        profile = associations.access_profile(principal.association_id)
        missing = associations.missing_fields(profile)
        if missing:
            text = _("Complete the profile: %(n)d fields are empty.", n=len(missing))
            yield ToDo(text, url_for("associations.edit", association_id=profile.tenant_id))


def _staff(principal: Principal, today: date) -> Iterator[ToDo]:
    if principal.can(P.MANAGE_USERS) and auth.count_users_visible_to(principal) < 2:
        yield ToDo(_("Add accounts for the secretariat staff."), url_for("auth.users"))


def _own_record(principal: Principal, today: date) -> Iterator[ToDo]:
    if not principal.can(P.OWN_MEMBER_RECORD) or principal.kind != "user":
        return
    answered = [s for s in suggestions.mine(principal.id) if s.answer or s.federation_reply]
    if answered:
        text = _("%(n)d of your suggestions have an answer.", n=len(answered))
        yield ToDo(text, url_for("suggestions.mine"))
    yield ToDo(_("Check your member record."), url_for("me.record_page"))


# --- a federation's supervisors ----------------------------------------------------------


def _reviews(principal: Principal, today: date) -> Iterator[ToDo]:
    """Officers review; the education supervisor reads what is submitted."""
    if not principal.can(P.VIEW_REPORTS):
        return
    reviews = principal.can(P.REVIEW_REPORTS)
    filing = None  # counted once, for the first period whose deadline is near
    for period, statuses in reporting.federation_filing_counts(principal.federation_id):
        url = url_for("reporting.period", period_id=period.id)
        submitted = statuses[SUBMITTED]
        if submitted:
            text = (
                _("%(n)d reports for %(year)d wait for your review.", n=submitted, year=period.year)
                if reviews
                else _(
                    "%(n)d reports for %(year)d are submitted, to read.",
                    n=submitted,
                    year=period.year,
                )
            )
            yield ToDo(text, url, Urgency.DUE_SOON if reviews else Urgency.WAITING)
        urgency = urgency_of(period.deadline, today)
        if not reviews or urgency is Urgency.WAITING:
            continue
        if filing is None:
            filing = reporting.filing_associations_count(principal.federation_id)
        unfiled = filing - submitted - statuses[APPROVED]
        if unfiled > 0:
            text = _(
                "%(n)d associations have not submitted their %(year)d report; due on %(date)s.",
                n=unfiled,
                year=period.year,
                date=period.deadline.isoformat(),
            )
            yield ToDo(text, url, urgency, period.deadline)


def _guidance_follow_up(principal: Principal, today: date) -> Iterator[ToDo]:
    if not principal.can(P.MANAGE_FEDERATION):
        return
    for item in guidance.of_federation(principal.federation_id):
        overdue = guidance.counts(guidance.follow_up(item, today))["overdue"]
        if overdue:
            text = _(
                "%(n)d associations have not done what “%(title)s” asked by %(date)s.",
                n=overdue,
                title=item.title,
                date=item.deadline.isoformat(),
            )
            yield ToDo(text, url_for("guidance.detail", guidance_id=item.id), Urgency.OVERDUE)


def _problems(principal: Principal, today: date) -> Iterator[ToDo]:
    if principal.can(P.MANAGE_FEDERATION):
        n = len(problems.of_federation(principal.federation_id, open_only=True))
        if n:
            yield ToDo(_("%(n)d problems are open.", n=n), url_for("problems.index"))


def _escalated(principal: Principal, today: date) -> Iterator[ToDo]:
    if principal.can(P.REPLY_ESCALATED_SUGGESTIONS):
        n = suggestions.escalated_unanswered_count()
        if n:
            text = _("%(n)d escalated suggestions wait for the federation's reply.", n=n)
            yield ToDo(text, url_for("suggestions.escalated"))


def _establishment(principal: Principal, today: date) -> Iterator[ToDo]:
    if principal.can(P.REVIEW_ESTABLISHMENT):
        n = establishment.awaiting_review_count(principal.federation_id)
        if n:
            text = _("%(n)d applications to found an association wait for review.", n=n)
            yield ToDo(text, url_for("establishment.index", status="submitted"), Urgency.DUE_SOON)


# --- every level, and the operator ------------------------------------------------------


def _tokens(principal: Principal, today: date) -> Iterator[ToDo]:
    if not principal.can(P.MANAGE_TOKENS):
        return
    for token in auth.tokens_expiring(principal, within=DUE_SOON):
        text = _(
            "API token “%(name)s” expires on %(date)s; create a new one.",
            name=token.name,
            date=token.expires_at.strftime("%Y-%m-%d"),
        )
        yield ToDo(text, url_for("auth.tokens"), Urgency.DUE_SOON, token.expires_at.date())


def _first_admins(principal: Principal, today: date) -> Iterator[ToDo]:
    if principal.can(P.REVIEW_ESTABLISHMENT):
        n = auth.first_admins_waiting(principal.federation_id)
        if n:
            text = _("%(n)d new associations' first administrators have not set a password.", n=n)
            yield ToDo(text, url_for("establishment.index", status="approved"))


def _failed_jobs(principal: Principal, today: date) -> Iterator[ToDo]:
    if principal.can(P.PROVISION):
        try:
            n = jobs.failed_count()
        except RedisError:
            yield ToDo(
                _("The job queue cannot be reached."), url_for("web.readyz"), Urgency.OVERDUE
            )
            return
        if n:
            text = _("%(n)d background jobs failed for good; see the worker's log.", n=n)
            yield ToDo(text, url_for("web.readyz"), Urgency.OVERDUE)


SOURCES: dict[Level, tuple[Source, ...]] = {
    Level.ASSOCIATION: (
        _annual_reports,
        _compliance,
        _guidance,
        _applications,
        _suggestions,
        _activities,
        _profile,
        _staff,
        _tokens,
        _own_record,
    ),
    Level.FEDERATION: (
        _reviews,
        _establishment,
        _first_admins,
        _guidance_follow_up,
        _problems,
        _escalated,
        _tokens,
    ),
    Level.PLATFORM: (_failed_jobs, _tokens),
}
