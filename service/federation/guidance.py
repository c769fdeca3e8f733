"""Guidance (指导意见/通知): issued by a federation to some of its associations, read,
acknowledged and answered by them, followed up by the federation with reminders.

A guidance row belongs to the federation; each targeted association gets a receipt (a
tenant row) when it is issued, so the association reads its own receipts through its scope
and the federation sees every receipt of its associations through its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa

from service.access import in_scope, owned_by_federation
from service.associations import services as associations
from service.errors import NotFound
from service.federation.models import Audience, Guidance, GuidanceFile, GuidanceReceipt
from service.files import services as stored_files
from service.files.checks import CheckedUpload
from service.i18n import gettext as _
from service.mail import send_template
from service.sorting import pinyin_order
from tenants.db import db
from tenants.models import Association, utcnow

if TYPE_CHECKING:  # a hint only: files are kept and read through their services
    from service.files.models import StoredFile

# What `service.access` says, for the lookups that are not by a row's own id.


def audience_ids(federation_id: int, audience: str, targets: list) -> list[int]:
    """The associations of the federation that guidance with this audience reaches."""
    query = (
        sa.select(Association.id)
        .where(Association.id.in_(associations.ids_in_scope()))
        .where(Association.federation_id == federation_id, Association.status != "dissolved")
    )
    if audience == Audience.CATEGORIES:
        in_categories = associations.ids_in_scope([str(t) for t in targets])
        query = query.where(Association.id.in_(in_categories))
    elif audience == Audience.ASSOCIATIONS:
        query = query.where(Association.id.in_([int(t) for t in targets]))
    return list(db.session.scalars(query.order_by(Association.id)))


def issue(
    federation_id: int,
    *,
    title: str,
    body: str,
    audience: str,
    targets: list,
    deadline: date | None,
    response_required: bool,
    files: list[CheckedUpload],
    actor: str,
) -> Guidance:
    guidance = Guidance(
        federation_id=federation_id,
        title=title,
        body=body,
        audience=Audience(audience).value,
        targets=[] if audience == Audience.ALL else list(targets),
        deadline=deadline,
        response_required=response_required,
        issued_by=actor,
    )
    db.session.add(guidance)
    db.session.flush()
    for upload in files:
        db.session.add(
            GuidanceFile(
                guidance_id=guidance.id,
                name=upload.name,
                content_type=upload.content_type,
                size=upload.size,
                sha256=upload.sha256,
                data=upload.data,
            )
        )
    for association_id in audience_ids(federation_id, audience, targets):
        db.session.add(GuidanceReceipt(tenant_id=association_id, guidance_id=guidance.id))
    db.session.flush()
    return guidance


def of_federation(federation_id: int) -> list[Guidance]:
    return list(
        db.session.scalars(
            sa.select(Guidance)
            .where(Guidance.federation_id == federation_id)
            .order_by(Guidance.issued_at.desc(), Guidance.id.desc())
        )
    )


def access_guidance(guidance_id: int, federation_id: int) -> Guidance:
    """Guidance that `federation_id` issued. NotFound for missing guidance and another
    federation's alike (its associations read theirs through `receipt_for`)."""
    return owned_by_federation(Guidance, guidance_id, federation_id)


def files(guidance_id: int) -> list[GuidanceFile]:
    return list(
        db.session.scalars(
            sa.select(GuidanceFile)
            .where(GuidanceFile.guidance_id == guidance_id)
            .order_by(GuidanceFile.id)
        )
    )


def access_guidance_file(file_id: int, federation_id: int) -> GuidanceFile:
    """An attachment of guidance that `federation_id` issued (the file has no owner column:
    it is its guidance's). NotFound for a missing file and another federation's alike."""
    found = db.session.scalar(
        sa.select(GuidanceFile)
        .join(Guidance, Guidance.id == GuidanceFile.guidance_id)
        .where(GuidanceFile.id == file_id, Guidance.federation_id == federation_id)
    )
    if found is None:
        raise NotFound()
    return found


def received_file(association_id: int, file_id: int) -> GuidanceFile:
    """An attachment of guidance sent to this association; NotFound otherwise."""
    found = db.session.scalar(
        sa.select(GuidanceFile)
        .join(GuidanceReceipt, GuidanceReceipt.guidance_id == GuidanceFile.guidance_id)
        .where(GuidanceFile.id == file_id, GuidanceReceipt.tenant_id == association_id)
    )
    if found is None:
        raise NotFound()
    return found


def access_receipt(receipt_id: int) -> GuidanceReceipt:
    """An association's receipt of guidance, if the scope holds it (the association's own,
    or its federation's associations'). NotFound for a missing one and another's alike."""
    return in_scope(GuidanceReceipt, receipt_id)


def response_file(receipt: GuidanceReceipt) -> StoredFile:
    """The file an association sent with its response (its tenant data, read in scope);
    NotFound when it sent none."""
    if receipt.response_file_id is None:
        raise NotFound()
    return stored_files.access_file(receipt.response_file_id)


# --- the association's side -----------------------------------------------------------


def inbox(association_id: int) -> list[tuple[Guidance, GuidanceReceipt]]:
    """The guidance sent to this association, newest first, with its receipt."""
    return list(
        db.session.execute(
            sa.select(Guidance, GuidanceReceipt)
            .join(GuidanceReceipt, GuidanceReceipt.guidance_id == Guidance.id)
            .where(GuidanceReceipt.tenant_id == association_id)
            .order_by(Guidance.issued_at.desc(), Guidance.id.desc())
        ).all()
    )


def receipt_for(association_id: int, guidance_id: int) -> tuple[Guidance, GuidanceReceipt]:
    """This association's copy of guidance sent to it; NotFound when it was not sent to it."""
    row = db.session.execute(
        sa.select(Guidance, GuidanceReceipt)
        .join(GuidanceReceipt, GuidanceReceipt.guidance_id == Guidance.id)
        .where(GuidanceReceipt.tenant_id == association_id, Guidance.id == guidance_id)
    ).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def mark_read(receipt: GuidanceReceipt) -> None:
    if receipt.read_at is None:
        receipt.read_at = utcnow()


def acknowledge(receipt: GuidanceReceipt, actor: str) -> None:
    mark_read(receipt)
    if receipt.acknowledged_at is None:
        receipt.acknowledged_at = utcnow()
        receipt.acknowledged_by = actor


def respond(receipt: GuidanceReceipt, text: str, stored: StoredFile | None, actor: str) -> None:
    acknowledge(receipt, actor)
    receipt.response = text
    receipt.responded_at = utcnow()
    if stored is not None:
        receipt.response_file_id = stored.id


# --- the federation's follow-up -------------------------------------------------------


@dataclass(frozen=True)
class Follow:
    """Where one association stands with one piece of guidance."""

    association_id: int
    name: str
    receipt: GuidanceReceipt
    overdue: bool

    @property
    def done(self) -> bool:
        return not self.overdue and self.receipt.acknowledged_at is not None


def is_overdue(guidance: Guidance, receipt: GuidanceReceipt, today: date) -> bool:
    """Past the deadline and not acknowledged, or not answered when an answer is required."""
    if guidance.deadline is None or today <= guidance.deadline:
        return False
    if guidance.response_required:
        return receipt.responded_at is None
    return receipt.acknowledged_at is None


def follow_up(guidance: Guidance, today: date | None = None) -> list[Follow]:
    today = today or date.today()
    rows = db.session.execute(
        sa.select(GuidanceReceipt, Association.name)
        .join(Association, Association.id == GuidanceReceipt.tenant_id)
        .where(GuidanceReceipt.guidance_id == guidance.id)
        .order_by(pinyin_order(Association.name))
    ).all()
    return [Follow(r.tenant_id, name, r, is_overdue(guidance, r, today)) for r, name in rows]


def counts(follows: list[Follow]) -> dict[str, int]:
    return {
        "targeted": len(follows),
        "read": sum(1 for f in follows if f.receipt.read_at),
        "acknowledged": sum(1 for f in follows if f.receipt.acknowledged_at),
        "responded": sum(1 for f in follows if f.receipt.responded_at),
        "overdue": sum(1 for f in follows if f.overdue),
    }


def remind(guidance: Guidance, today: date | None = None) -> int:
    """Remind every association that has not done what the guidance asks: in the app (the
    home page shows the reminder) and by e-mail where SMTP is configured."""
    sent = 0
    for follow in follow_up(guidance, today):
        receipt = follow.receipt
        waiting = (
            receipt.responded_at is None
            if guidance.response_required
            else (receipt.acknowledged_at is None)
        )
        if not waiting:
            continue
        receipt.reminded_at = utcnow()
        receipt.reminders_sent += 1
        _email(follow.association_id, guidance)
        sent += 1
    return sent


def _email(association_id: int, guidance: Guidance) -> bool:
    address = associations.contact_email(association_id)
    if not address:
        return False
    return send_template(
        address,
        "mail/guidance_reminder.txt",
        _("Reminder: %(title)s", title=guidance.title),
        guidance=guidance,
    )


def waiting_for(association_id: int) -> list:
    """The guidance the association has yet to acknowledge or answer, newest first (its
    to-do list shows ten)."""
    return [(g, r) for g, r in inbox(association_id) if not _done(g, r)][:10]


def _done(item, receipt) -> bool:
    return (
        receipt.responded_at is not None
        if item.response_required
        else (receipt.acknowledged_at is not None)
    )
