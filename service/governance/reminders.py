"""Reminders before something falls due: a daily job over the stored findings.

A finding that is due soon changes to overdue on its `next_change_on`; its association is
reminded once per rule and due date, in the app and, where SMTP is configured, by e-mail to
the association's contact.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from service.associations.models import AssociationProfile
from service.governance import compliance
from service.governance.models import ComplianceFinding, Reminder
from service.mail import send_mail
from tenants.db import db
from tenants.scope import system_scope


def due(association_id: int | None = None) -> sa.Select:
    """Findings due soon (they turn overdue on `next_change_on`) with no reminder yet."""
    query = sa.select(ComplianceFinding).where(
        ComplianceFinding.status == compliance.Status.DUE_SOON.value,
        ComplianceFinding.next_change_on.isnot(None),
        ~sa.exists().where(
            Reminder.tenant_id == ComplianceFinding.tenant_id,
            Reminder.rule == ComplianceFinding.rule,
            Reminder.due_on == ComplianceFinding.next_change_on,
        ),
    )
    if association_id is not None:
        query = query.where(ComplianceFinding.tenant_id == association_id)
    return query.order_by(ComplianceFinding.tenant_id, ComplianceFinding.rule)


def send_reminders(today: str | None = None) -> int:
    """The daily run: remind every association of what falls due; idempotent."""
    day = date.fromisoformat(today) if today else date.today()
    sent = 0
    with system_scope("daily compliance reminders"):
        for finding in db.session.scalars(due()).all():
            email = db.session.scalar(
                sa.select(AssociationProfile.contact_email).where(
                    AssociationProfile.tenant_id == finding.tenant_id
                )
            )
            emailed = _email(email, compliance.as_finding(finding)) if email else False
            db.session.add(
                Reminder(
                    tenant_id=finding.tenant_id,
                    rule=finding.rule,
                    due_on=finding.next_change_on,
                    sent_on=day,
                    emailed_to=email if emailed else None,
                )
            )
            sent += 1
        db.session.commit()
    return sent


def for_association(association_id: int) -> list[Reminder]:
    return db.session.scalars(
        sa.select(Reminder)
        .where(Reminder.tenant_id == association_id)
        .order_by(Reminder.due_on.desc())
        .limit(10)
    ).all()


def _email(address: str, finding: compliance.Finding) -> bool:
    subject = _l("Due by %(date)s: %(rule)s", date=finding.next_change_on, rule=finding.label)
    return send_mail(address, str(subject), f"{finding.label}\n{finding.evidence}")
