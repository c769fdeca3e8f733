"""Governance: a founded, fully staffed association (charter, congress, committee, officers,
secretariat, findings), and a university's application to found one, with its tracking key."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from service.associations.models import Category
from service.governance import compliance, establishment
from service.governance import services as governance
from service.governance.models import (
    ApplicationDocument,
    ComplianceFinding,
    Establishment,
    FoundingDocument,
    LifecycleChange,
    Reminder,
)
from tenants.db import db
from tenants.models import Association, Federation
from tests.factories.files import file_fields, make_stored_file
from tests.factories.serial import serial

GOVERNANCE_TODAY = date(2026, 6, 1)


def make_establishment(association: Association, document_number: str) -> None:
    """The association's founding on file: its charter accepted on 1 March 2019, approved by
    its federation on 30 May 2019 under `document_number`."""
    db.session.add(
        Establishment(
            tenant_id=association.id,
            charter_accepted_on=date(2019, 3, 1),
            approved_on=date(2019, 5, 30),
            approved_by_federation_id=association.federation_id,
            document_number=document_number,
        )
    )


def make_governance(association: Association, *, held_on: date = date(2024, 4, 20)) -> dict:
    """A founded, fully staffed association: charter and approval, a congress electing a
    committee with a standing committee, a meeting of each, chair, vice-chair,
    secretary-general, secretariat, and stored findings. Returns the rows tests point at."""
    tid = association.id
    make_establishment(association, f"科协函〔2019〕{tid}号")
    members = [
        governance.NewMember("李明", "机械工程学院", True),
        governance.NewMember("王芳", "化学学院", True),
        governance.NewMember("赵强", "计算机学院"),
    ]
    congress = governance.hold_congress(
        tid,
        held_on=held_on,
        delegates=120,
        today=GOVERNANCE_TODAY,
        term_ends_on=date(2029, 4, 20),
        members=members,
        standing_committee_formed_on=held_on,
    )
    committee = governance.record_meeting(
        tid, body="committee", held_on=date(2025, 3, 10), attendance=3, today=GOVERNANCE_TODAY
    )
    standing = governance.record_meeting(
        tid,
        body="standing_committee",
        held_on=date(2025, 9, 10),
        attendance=2,
        today=GOVERNANCE_TODAY,
    )
    chair = governance.appoint(
        tid,
        post="chair",
        name="李明",
        starts_on=held_on,
        eligibility="university_leader",
        eligibility_basis="副校长",
    )
    governance.appoint(
        tid,
        post="vice_chair",
        name="王芳",
        starts_on=held_on,
        eligibility="renowned_expert",
        eligibility_basis="国家杰出青年科学基金获得者",
    )
    secretary = governance.appoint(
        tid,
        post="secretary_general",
        name="赵强",
        starts_on=date(2025, 3, 11),
        nominated_on=date(2025, 3, 1),
        approving_meeting_id=committee.id,
    )
    governance.set_host_office(tid, "科学技术研究院")
    standing.minutes_file_id = make_stored_file(association, name="常委会会议纪要.pdf").id
    founding = FoundingDocument(
        tenant_id=tid, file_id=make_stored_file(association, name="成立批复.pdf").id
    )
    db.session.add(founding)
    db.session.flush()
    db.session.add(
        LifecycleChange(
            tenant_id=tid,
            from_status="applying",
            to_status="active",
            reason="批准成立",
            actor="factory",
        )
    )
    compliance.store(tid, compliance.evaluate(tid, GOVERNANCE_TODAY), GOVERNANCE_TODAY)
    db.session.add(
        Reminder(
            tenant_id=tid,
            rule="congress",
            period="none",
            state="due_soon",
            due_on=date(2024, 1, 1),
            sent_on=date(2023, 12, 1),
        )
    )
    finding = db.session.scalar(
        sa.select(ComplianceFinding).where(
            ComplianceFinding.tenant_id == tid, ComplianceFinding.rule == "congress"
        )
    )
    return {
        "congress_id": congress.id,
        "term_id": congress.elected_term_id,
        "meeting_id": standing.id,
        "officer_id": chair.id,
        "secretary_id": secretary.id,
        "founding_document_id": founding.id,
        "finding_id": finding.id,
    }


def application_data(**changes) -> dict:
    """What a university fills in to apply; keyword arguments change single answers."""
    return {
        "university_name": f"申请大学{serial()}",
        "category": Category.APPLIED.value,
        "charter_accepted": True,
        "st_workers": 850,
        "host_office": "科研处",
        "proposed_chair": "刘洋",
        "proposed_chair_basis": "副校长",
        "proposed_vice_chairs": "陈晨（长江学者）\n黄磊（科研处处长）",
        "proposed_secretary_general": "马丽",
        "contact_name": "马丽",
        "contact_email": "mali@example.edu.cn",
        **changes,
    }


def tracking_key(page: str) -> str:
    """The key of an applicant's tracking link on a page or in a body: it rides after `#`."""
    return re.search(r"/establishment/track#([\w\-]+)", page).group(1)


def make_application(federation: Federation) -> tuple[int, str]:
    """An application awaiting the federation's review: (its id, the applicant's key)."""
    application, key = establishment.submit(federation.id, application_data(), date(2026, 5, 1))
    return application.id, key


def make_application_document(application_id: int) -> int:
    """A supporting document (a small PDF) of an application; returns its id."""
    document = ApplicationDocument(
        application_id=application_id, **file_fields("学校同意成立科协的批复.pdf")
    )
    db.session.add(document)
    db.session.flush()
    return document.id
