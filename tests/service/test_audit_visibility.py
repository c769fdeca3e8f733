"""The audit log shows each reader what they may see of the record, and no more.

Each sensitive record is written and then changed by a real actor; the audit log is then read,
page by page, as every role, and checked for the marker strings that role must not see, and
for the events it must still see (a private activity changed "by association_admin")."""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from service.activities.models import Activity
from service.audit import queries as audit_queries
from service.audit import visibility
from service.audit.models import AuditEvent, PlatformAuditEvent
from service.audit.queries import page_for
from service.audit.services import concealed_actor, record, reset_actor, set_actor
from service.auth import services as accounts
from service.auth.principal import principal_for_user
from service.auth.roles import Role
from service.federation import guidance, problems
from service.files.models import StoredFile
from service.governance import establishment
from service.governance.models import ApplicationDocument
from service.members.models import MemberApplication
from service.reporting.models import FederationRollup
from service.suggestions import services as suggestions
from service.suggestions.models import Suggestion
from tenants.db import db
from tenants.scope import system_scope, use_scope
from tests import factories

PRIVATE = ("MK-PRIV-TITLE", "MK-PRIV-PLACE", "MK-PRIV-DESC", "MK-PRIV-DESC-CHANGED")
SHARED_TITLE = "MK-SHARED-TITLE"
NAMED = ("MK-NAMED-TITLE", "MK-NAMED-BODY", "MK-NAMED-ANSWER")
ANONYMOUS = ("MK-ANON-TITLE", "MK-ANON-BODY", "MK-ANON-ANSWER")
ESCALATED = ("MK-ESC-TITLE", "MK-ESC-BODY")
JOINING = ("MK-JOIN-STATEMENT", "MK-EVIDENCE.pdf")
# Federation content written at the platform level (no tenant): the operator's log.
FEDERATION_CONTENT = (
    "MK-GUIDANCE-BODY",
    "MK-PROBLEM-DESC",
    "MK-CHAIR",
    "MK-APPLICATION-DOC.pdf",
    "987654321",  # a roll-up figure
)
ASSOCIATION_CONTENT = (*PRIVATE, SHARED_TITLE, *NAMED, *ANONYMOUS, *ESCALATED, *JOINING)


@dataclass
class Audited:
    """The ids of the records written, and the named submitter (a member): id and username."""

    named: int
    escalated: int
    anonymous: int
    private: int
    shared: int
    file: int
    application: int
    guidance: int
    member: int
    submitter: str


@contextmanager
def acting(user, *, federation_records: bool = False) -> Iterator[None]:
    """Write as this user would: under their audit label and scope, then commit. The
    federation's own records (no tenant) are written in a system scope, as its jobs do."""
    principal = principal_for_user(user)
    token = set_actor(principal.audit_label)
    scope = (
        system_scope("test: the federation's own records")
        if federation_records
        else use_scope(principal.scope)
    )
    try:
        with scope:
            yield
            db.session.commit()
    finally:
        reset_actor(token)


def _suggestion(tenant, title: str, body: str, user=None, escalated: bool = False) -> Suggestion:
    found, _ = factories.make_suggestion(
        tenant.association, user=user, title=title, body=body, escalated=escalated
    )
    return found


@pytest.fixture
def audited(world) -> Audited:
    tenant = world.a.first
    admin, member = tenant.users[Role.ASSOCIATION_ADMIN], tenant.users[Role.MEMBER]
    officer = world.a.users[Role.FEDERATION_OFFICER]
    association = tenant.association
    ids: dict[str, int] = {}

    with acting(member):
        ids["named"] = _suggestion(tenant, *NAMED[:2], user=member).id
        ids["escalated"] = _suggestion(tenant, *ESCALATED, user=member).id
    with acting(member):
        record(db.session, "login", "user_account", member.id, association.id)
    with acting(member), concealed_actor():
        ids["anonymous"] = _suggestion(tenant, *ANONYMOUS[:2]).id
    with acting(admin):
        ids["private"] = factories.make_activity(
            association,
            title=PRIVATE[0],
            place=PRIVATE[1],
            description=PRIVATE[2],
            visibility="private",
        ).id
        ids["shared"] = factories.make_activity(association, title=SHARED_TITLE).id
        ids["file"] = factories.make_stored_file(association, name=JOINING[1]).id
        application = MemberApplication(
            tenant_id=association.id,
            name="申请人",
            title="senior",
            statement=JOINING[0],
            consent_version=1,
        )
        db.session.add(application)
        db.session.flush()
        ids["application"] = application.id
    with acting(admin):
        db.session.get(Activity, ids["private"]).description = PRIVATE[3]
        db.session.get(Suggestion, ids["named"]).answer = NAMED[2]
        db.session.get(Suggestion, ids["anonymous"]).answer = ANONYMOUS[2]
        db.session.get(MemberApplication, ids["application"]).status = "approved"
        db.session.get(StoredFile, ids["file"]).name = "MK-EVIDENCE-RENAMED.pdf"
    with acting(admin):
        suggestions.escalate(
            db.session.get(Suggestion, ids["escalated"]),
            None,
            principal_for_user(admin).audit_label,
        )
    with acting(officer, federation_records=True):
        ids["guidance"] = guidance.issue(
            world.a.federation.id,
            title="关于科普周的通知",
            body=FEDERATION_CONTENT[0],
            audience="all",
            targets=[],
            deadline=None,
            response_required=False,
            files=[],
            actor=principal_for_user(officer).audit_label,
        ).id
        problems.open_problem(
            world.a.federation.id,
            title="全省共性问题",
            description=FEDERATION_CONTENT[1],
            association_id=None,
            category=None,
            assignee_id=None,
            actor="officer",
        )
        submitted, _ = establishment.submit(
            world.a.federation.id,
            factories.application_data(proposed_chair=FEDERATION_CONTENT[2]),
            date(2026, 5, 1),
        )
        db.session.add(
            ApplicationDocument(
                application_id=submitted.id,
                name=FEDERATION_CONTENT[3],
                content_type="application/pdf",
                size=4,
                sha256="0" * 64,
                data=b"%PDF",
            )
        )
        db.session.add(
            FederationRollup(
                federation_id=world.a.federation.id,
                year=2031,
                figures={"activities": int(FEDERATION_CONTENT[4])},
            )
        )
    return Audited(**ids, member=member.id, submitter=member.username)


# --- reading the log -----------------------------------------------------------------------


def log_pages(client) -> Iterator[str]:
    """Every page of the audit log, as the browser shows it (unescaped text)."""
    number = 1
    while True:
        response = client.get(f"/audit/?page={number}")
        assert response.status_code == 200
        page = html.unescape(response.get_data(as_text=True))
        yield page
        if f"page={number + 1}" not in page:
            return
        number += 1


def page_log(app, user) -> str:
    """The whole log as the user's browser shows it."""
    return "\n".join(log_pages(app.test_client().login_as(user)))


def service_log(app, user) -> str:
    """The whole log as the one reader gives it to this user (for roles the page refuses)."""
    principal = principal_for_user(user)
    lines, number = [], 1
    with app.test_request_context(), use_scope(principal.scope):
        while True:
            page, shown = page_for(principal, number)
            lines += [
                f'<tr data-record="{line.entity} {line.entity_id}">'
                f"{line.actor} {line.action} {line.changes}"
                for line in shown
            ]
            if not page.has_next:
                return "\n".join(lines)
            number += 1


def rows(log: str, entity: str, entity_id: int) -> list[str]:
    """The table rows about one record (the page marks each row with its record's key; the
    service's lines are written with it)."""
    marker = f'data-record="{entity} {entity_id}"'
    return [row for row in log.split("<tr") if marker in row]


def absent(log: str, markers) -> list[str]:
    return [m for m in markers if m in log]


# --- per role ------------------------------------------------------------------------------


def test_the_association_admin_sees_its_own_records_in_full(app, world, audited):
    log = page_log(app, world.a.first.users[Role.ASSOCIATION_ADMIN])
    missing = [m for m in ASSOCIATION_CONTENT if m not in log]
    assert not missing
    assert "提交人：" in log  # the association knows who signed a named item
    assert rows(log, "user_account", audited.member)  # and manages its accounts
    assert rows(log, "activity", audited.private)


def test_the_federation_officer_sees_that_private_records_changed_never_their_content(
    app, world, audited
):
    log = page_log(app, world.a.users[Role.FEDERATION_OFFICER])

    assert absent(log, PRIVATE + NAMED + ANONYMOUS + JOINING) == []
    private_rows = rows(log, "activity", audited.private)
    assert len(private_rows) == 2  # created, then changed
    # By role, in words: "高校科协管理员（秘书处） 修改了 活动 #9", never the title.
    assert all("高校科协管理员（秘书处）" in row for row in private_rows)
    assert any("修改了 活动 #" in row for row in private_rows)
    # What the association shared is seen, as on the activity's page.
    assert SHARED_TITLE in log
    # Unescalated suggestions do not exist for it, anonymous or named; escalated ones do,
    # with their text and without anyone's name.
    assert rows(log, "suggestion", audited.named) == []
    assert rows(log, "suggestion", audited.anonymous) == []
    assert ESCALATED[0] in log and ESCALATED[1] in log
    assert "submitter_user_id" not in log and "提交人" not in log
    assert audited.submitter not in log
    assert "escalated_by" not in log
    # A join application: that it came and was decided, not what it said.
    assert len(rows(log, "member_application", audited.application)) == 2
    # Nor when a person of the association signs in.
    assert rows(log, "user_account", audited.member) == []


def test_the_education_supervisor_is_refused_and_its_reading_holds_nothing_private(
    app, world, audited
):
    supervisor = world.a.users[Role.EDUCATION_SUPERVISOR]
    assert app.test_client().login_as(supervisor).get("/audit/").status_code == 403
    log = service_log(app, supervisor)
    assert absent(log, PRIVATE + NAMED + ANONYMOUS + JOINING) == []
    assert "submitter_user_id" not in log and audited.submitter not in log
    assert rows(log, "activity", audited.private)
    assert ESCALATED[0] in log and SHARED_TITLE in log


def test_association_staff_are_refused_and_their_reading_is_the_associations(app, world, audited):
    staff = world.a.first.users[Role.ASSOCIATION_STAFF]
    assert app.test_client().login_as(staff).get("/audit/").status_code == 403
    log = service_log(app, staff)
    # Staff record activities, handle suggestions and decide join applications.
    assert [m for m in ASSOCIATION_CONTENT if m not in log] == []


def test_a_member_sees_no_audit_log(app, world, audited):
    member = world.a.first.users[Role.MEMBER]
    assert app.test_client().login_as(member).get("/audit/").status_code == 403
    log = service_log(app, member)
    assert absent(log, ASSOCIATION_CONTENT) == []
    assert rows(log, "suggestion", audited.named) == []


def test_the_operator_sees_platform_events_as_metadata(app, world, audited):
    log = page_log(app, world.operator)
    assert absent(log, FEDERATION_CONTENT + ASSOCIATION_CONTENT) == []
    # The events themselves are there: what kind, which record, which federation.
    (issued,) = rows(log, "guidance", audited.guidance)
    assert "新建了 工作指导 #" in issued and f"联合组织：{world.a.federation.id}" in issued
    assert "省科协工作人员" in issued and "标题" not in issued
    assert "成立申请" in log and "全省汇总" in log


def test_another_association_and_another_province_see_none_of_it(app, world, audited):
    neighbour = page_log(app, world.a.second.users[Role.ASSOCIATION_ADMIN])
    foreign = page_log(app, world.b.users[Role.FEDERATION_OFFICER])
    for log in (neighbour, foreign):
        assert absent(log, ASSOCIATION_CONTENT) == []
        assert rows(log, "activity", audited.private) == []
        assert rows(log, "member_application", audited.application) == []


def test_a_kind_of_record_with_no_rule_shows_its_metadata_only(app, world):
    admin = world.a.first.users[Role.ASSOCIATION_ADMIN]
    association_id = world.a.first.association.id
    with acting(admin):
        record(db.session, "create", "table_added_later", 7, association_id, {"note": "MK-NEW"})
    log = page_log(app, admin)
    (row,) = rows(log, "table_added_later", 7)
    assert "MK-NEW" not in row and "note" not in row
    assert admin.display_name in row  # its own association's account, by name
    assert admin.username not in row


def test_every_rule_names_a_table_that_exists(app):
    tables = {table.name for table in db.metadata.sorted_tables}
    assert set(visibility.RULES) <= tables | visibility.EVENTS_WITHOUT_TABLE
    assert not visibility.EVENTS_WITHOUT_TABLE & tables


# --- the platform's log and the tenants' ---------------------------------------------------

PLATFORM_MARKER = "MK-PLATFORM-ONLY"


def _everyone_but_the_operator(world) -> list:
    users = []
    for province in (world.a, world.b):
        users += province.users.values()
        for tenant in (province.first, province.second):
            users += tenant.users.values()
    return users


def test_an_event_of_no_tenant_is_in_the_platform_log_for_the_operator_alone(app, world):
    federation = world.a.federation
    with acting(world.operator, federation_records=True):
        record(
            db.session, "update", "federation", federation.id, None,
            {"name": [federation.name, PLATFORM_MARKER]},
        )  # fmt: skip
    with system_scope("test: where the event went"):
        platform = db.session.scalars(
            sa.select(PlatformAuditEvent)
            .where(
                PlatformAuditEvent.entity == "federation",
                PlatformAuditEvent.entity_id == str(federation.id),
            )
            .order_by(PlatformAuditEvent.id)
        ).all()
        tenants = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity == "federation")
        ).all()
    assert platform[-1].changes == {"name": [federation.name, PLATFORM_MARKER]}
    assert tenants == []

    operator_log = page_log(app, world.operator)
    (row,) = [r for r in rows(operator_log, "federation", federation.id) if PLATFORM_MARKER in r]
    assert world.operator.display_name in row  # by name: the platform's own account

    readers = _everyone_but_the_operator(world)
    assert len(readers) > 10
    for user in readers:
        assert PLATFORM_MARKER not in service_log(app, user), user.role
        assert rows(service_log(app, user), "federation", federation.id) == [], user.role
    for user in (
        world.a.first.users[Role.ASSOCIATION_ADMIN],
        world.a.users[Role.FEDERATION_OFFICER],
    ):
        assert PLATFORM_MARKER not in page_log(app, user), user.role


def test_the_operator_reads_no_tenants_event(app, world, audited):
    """The other way: an association's own event (a sign-in to one of its accounts) is in
    its log, never the operator's."""
    log = page_log(app, world.operator)
    assert rows(log, "user_account", audited.member) == []
    assert absent(log, ASSOCIATION_CONTENT) == []


def test_a_long_log_is_counted_up_to_a_bound_and_the_page_says_so(app, world, audited, monkeypatch):
    officer = world.a.users[Role.FEDERATION_OFFICER]
    principal = principal_for_user(officer)
    with app.test_request_context(), use_scope(principal.scope):
        visible = db.session.scalar(
            sa.select(sa.func.count()).select_from(
                visibility.events_visible_to(principal).subquery()
            )
        )
        page, _lines = page_for(principal, 1)
        assert visible > 3 and (page.total, page.counted_all) == (visible, True)
        monkeypatch.setattr(audit_queries, "COUNTED_EVENTS", 3)
        page, lines = page_for(principal, 1)
        # Counted to the bound only; the page itself still shows its rows.
        assert (page.total, page.counted_all) == (3, False) and len(lines) == min(visible, 50)
    shown = html.unescape(app.test_client().login_as(officer).get("/audit/").get_data(as_text=True))
    assert "操作记录超过 3 条" in shown


def test_the_actor_filter_offers_who_acted_among_the_latest_events_read_in_chunks(
    app, world, monkeypatch
):
    tenant = world.a.first
    admin, staff = tenant.users[Role.ASSOCIATION_ADMIN], tenant.users[Role.ASSOCIATION_STAFF]
    member = tenant.users[Role.MEMBER]
    for actor, events in ((staff, 1), (member, 1), (admin, 4)):  # the admin's are the newest
        with acting(actor):
            for _event in range(events):
                record(db.session, "update", "activity", 1, tenant.association.id)
    monkeypatch.setattr(audit_queries, "ACTOR_CHUNK", 2)
    principal = principal_for_user(admin)

    def offered(latest: int) -> set[str]:
        monkeypatch.setattr(audit_queries, "ACTOR_SCAN", latest)
        with app.test_request_context(), use_scope(principal.scope):
            return {key for key, _name in audit_queries.actor_choices(principal)}

    assert offered(4) == {f"user:{admin.id}"}  # two chunks, both the admin's
    assert offered(6) == {f"user:{u.id}" for u in (admin, staff, member)}  # a third chunk


def test_a_page_of_the_log_looks_each_actor_up_once(app, world, audited, monkeypatch):
    """Who acted is asked for the page's rows, their names and the filter's choices; the
    accounts behind each label are read once per request, and the page still names them."""
    asked: list[set[str]] = []
    owners_of_labels = accounts.owners_of_labels

    def counted(labels):
        asked.append(set(labels))
        return owners_of_labels(labels)

    monkeypatch.setattr(accounts, "owners_of_labels", counted)
    admin = world.a.first.users[Role.ASSOCIATION_ADMIN]
    shown = app.test_client().login_as(admin).get("/audit/").get_data(as_text=True)
    every = [label for labels in asked for label in labels]
    assert every and len(every) == len(set(every))
    assert html.escape(admin.display_name) in shown
