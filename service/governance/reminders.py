"""Reminders about findings, sent by a daily job over the stored findings
(`service.governance.jobs.send_reminders`).

An association is reminded of each finding that is due soon, overdue or missing, once per
rule, period and state: a finding that moves from due soon to overdue to missing is reminded
of three times, a re-run of the job sends nothing twice. Reminders are shown in the app and,
where SMTP is configured, e-mailed to the association's contact.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from service.associations import services as associations
from service.governance import compliance
from service.governance.models import ComplianceFinding, Reminder
from service.i18n import lazy_gettext as _l
from service.mail import send_template
from tenants.db import db

Status = compliance.Status
REMINDED = (Status.DUE_SOON.value, Status.OVERDUE.value, Status.MISSING.value)


def due(association_id: int | None = None) -> sa.Select:
    """Open findings not in order whose present state has not been reminded of yet."""
    query = sa.select(ComplianceFinding).where(
        ComplianceFinding.status.in_(REMINDED),
        compliance.standing(),
        ~sa.exists().where(
            Reminder.tenant_id == ComplianceFinding.tenant_id,
            Reminder.rule == ComplianceFinding.rule,
            Reminder.period == ComplianceFinding.period,
            Reminder.state == ComplianceFinding.status,
        ),
    )
    if association_id is not None:
        query = query.where(ComplianceFinding.tenant_id == association_id)
    return query.order_by(
        ComplianceFinding.tenant_id, ComplianceFinding.rule, ComplianceFinding.period
    )


def remind(row: ComplianceFinding, day: date) -> Reminder:
    """Remind the association of one finding's present state: kept for the app, and
    e-mailed to its contact where SMTP is configured."""
    finding = compliance.as_finding(row)
    email = associations.contact_email(row.tenant_id)
    emailed = _email(email, finding) if email else False
    reminder = Reminder(
        tenant_id=row.tenant_id,
        rule=row.rule,
        period=row.period,
        state=row.status,
        due_on=_about(finding, day),
        sent_on=day,
        emailed_to=email if emailed else None,
    )
    db.session.add(reminder)
    return reminder


def _about(finding: compliance.Finding, day: date) -> date:
    """The date a reminder names: when it falls due, or when it fell due."""
    if finding.status is Status.DUE_SOON and finding.next_change_on:
        return finding.next_change_on
    return finding.due_on or day


def for_association(association_id: int) -> list[Reminder]:
    return db.session.scalars(
        sa.select(Reminder)
        .where(Reminder.tenant_id == association_id)
        .order_by(Reminder.sent_on.desc(), Reminder.id.desc())
        .limit(10)
    ).all()


def _email(address: str, finding: compliance.Finding) -> bool:
    rule, period = finding.label, finding.period_label
    if finding.status is Status.DUE_SOON:
        subject = _l("Due by %(date)s: %(rule)s", date=finding.next_change_on, rule=rule)
    elif finding.status is Status.OVERDUE:
        subject = _l("Overdue (%(period)s): %(rule)s", period=period, rule=rule)
    else:
        subject = _l("Missing (%(period)s): %(rule)s", period=period, rule=rule)
    return send_template(address, "mail/compliance_reminder.txt", subject, finding=finding)
