"""Membership end to end: eligibility, adding, importing, exporting, self-service, API."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from service.audit.models import AuditEvent
from service.auth.roles import Role
from service.members.eligibility import Eligibility, eligibility
from service.members.models import (
    GroupMember,
    GroupMemberStatusChange,
    Member,
    MemberApplication,
    MemberImport,
    MembershipPolicy,
)
from service.members.tabular import COLUMNS
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests.conftest import REDIS_URL, run_queued_jobs
from tests.snapshots import row_counts

HEADER = [c.header for c in COLUMNS]


def members_of(tenant) -> list[Member]:
    with use_scope(Scope.association(tenant.association.id)):
        members = db.session.scalars(sa.select(Member).order_by(Member.id)).all()
        db.session.expunge_all()
    return members


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    lines = [",".join(HEADER)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def row(name, phone="", email="", title="中级", cast="否", reason="", **extra) -> list[str]:
    values = {
        "姓名": name,
        "手机": phone,
        "电子邮箱": email,
        "职称": title,
        "中国科协所属学会会员": cast,
        "例外理由": reason,
        **extra,
    }
    return [values.get(h, "") for h in HEADER]


def upload(client, filename, content):
    response = client.post(
        "/members/imports",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )
    run_queued_jobs()
    return response


def last_import(tenant) -> MemberImport:
    with use_scope(Scope.association(tenant.association.id)):
        found = db.session.scalars(sa.select(MemberImport).order_by(MemberImport.id.desc())).first()
        db.session.expunge(found)
    return found


# --- eligibility ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("society", "title", "reason", "expected"),
    [
        (True, "none", None, Eligibility.AUTOMATIC),
        (False, "intermediate", None, Eligibility.MAY_JOIN),
        (False, "senior", None, Eligibility.MAY_JOIN),
        (False, "junior", None, Eligibility.NOT_ELIGIBLE),
        (False, "junior", "  ", Eligibility.NOT_ELIGIBLE),
        (False, "junior", "优秀青年科技骨干", Eligibility.EXCEPTION),
    ],
)
def test_eligibility_follows_the_document(society, title, reason, expected):
    assert eligibility(society, title, reason) is expected


# --- adding on the web ------------------------------------------------------------------


def test_staff_add_an_eligible_member(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    response = client.post(
        "/members/new", data={"name": "赵磊", "phone": "13912345678", "title": "intermediate"}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "赵磊" in page and "可申请入会" in page


def test_an_ineligible_member_is_refused_with_the_rule(world, client):
    tenant = world.a.first
    before = len(members_of(tenant))
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    response = client.post(
        "/members/new", data={"name": "钱进", "phone": "13912345679", "title": "junior"}
    )
    assert response.status_code == 400
    assert "不符合入会条件" in response.get_data(as_text=True)
    assert len(members_of(tenant)) == before


def test_a_duplicate_phone_leads_to_the_existing_member(world, client):
    tenant = world.a.first
    existing = tenant.members[1]
    before = len(members_of(tenant))
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    response = client.post(
        "/members/new", data={"name": "重复", "phone": existing.phone, "title": "senior"}
    )
    assert response.headers["Location"].endswith(f"/members/{existing.id}")
    assert len(members_of(tenant)) == before


# --- import -----------------------------------------------------------------------------


def test_a_gbk_file_with_errors_changes_nothing_then_the_fixed_file_imports(world, client):
    tenant = world.a.first
    before = len(members_of(tenant))
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    bad = [
        row("孙敏", phone="13500000001"),
        row("", phone="13500000002"),  # row 3: no name
        row("周杰", phone="12345"),  # row 4: bad phone
        row("吴芳", phone="13500000001"),  # row 5: duplicate of row 2
        row("郑强", email="zq@example.edu.cn", title="首席专家"),  # row 6: unknown title
        row("王五", phone="13500000006", title="初级"),  # row 7: not eligible
        row("冯七", phone=tenant.members[0].phone),  # row 8: an existing member, to skip
    ]
    response = upload(client, "会员.csv", csv_bytes(bad, "gbk"))
    assert response.status_code == 302
    result = last_import(tenant)
    assert result.status == "review"  # nothing imported; the page shows every problem
    problems = {(e["row"], e["column"]) for e in result.errors}
    assert problems == {
        (3, "姓名"),
        (4, "手机"),
        (5, "手机"),
        (6, "职称"),
        (7, "例外理由"),
    }
    assert len(members_of(tenant)) == before

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "未导入" in page and "与第 2 行重复" in page and "首席专家" in page
    assert "已是会员" in page  # row 8, with what would change
    report = client.get(f"/members/imports/{result.id}/errors.xlsx")
    sheet = load_workbook(io.BytesIO(report.data)).active
    assert [c.value for c in sheet[1]] == ["行", "列", "原值", "问题"]
    assert sheet.max_row == 1 + len(result.errors)

    fixed = [
        row("孙敏", phone="13500000001"),
        row("李雷", phone="13500000002"),
        row("周杰", phone="13500000003"),
        row("吴芳", phone="13500000004"),
        row("郑强", email="zq@example.edu.cn", title="正高级"),
        row("王五", phone="13500000006", title="初级", reason="青年科技骨干，经常务委员会同意"),
        row("冯七", phone="13500000008", cast="是"),
    ]
    upload(client, "会员.csv", csv_bytes(fixed, "gbk"))
    assert last_import(tenant).status == "done"
    names = {m.name for m in members_of(tenant)}
    assert {"孙敏", "李雷", "周杰", "吴芳", "郑强", "王五", "冯七"} <= names
    assert len(members_of(tenant)) == before + 7


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_with_a_formula_is_refused_row_by_row(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    rows = [
        row("孙敏", phone="13700000001"),
        row('=HYPERLINK("http://x","点我")', phone="13700000002"),
    ]
    upload(client, "members.xlsx", _xlsx(rows))
    result = last_import(tenant)
    assert result.status == "review"
    assert [(e["row"], e["column"]) for e in result.errors] == [(3, "姓名")]
    assert "公式" in result.errors[0]["message"]


def test_an_oversized_file_is_refused(app, world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    size = app.config["IMPORT_MAX_BYTES"]
    upload(client, "big.csv", csv_bytes([row("甲", phone="13700000001")]) + b"," * size)
    result = last_import(tenant)
    assert result.status == "failed" and "MB" in result.errors[0]["message"]


def test_a_zip_bomb_is_refused_before_it_is_unpacked(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/worksheets/sheet1.xml", b"\0" * (120 * 2**20))
    upload(client, "bomb.xlsx", out.getvalue())
    result = last_import(tenant)
    assert result.status == "failed" and "解压" in result.errors[0]["message"]


def test_a_file_that_is_not_a_workbook_is_refused(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    upload(client, "members.xlsx", b"<html>not a workbook</html>")
    assert "不是可读取的" in last_import(tenant).errors[0]["message"]


def test_the_template_has_the_chinese_columns(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    sheet = load_workbook(io.BytesIO(client.get("/members/template.xlsx").data)).active
    assert [c.value for c in sheet[1]] == HEADER


# --- export -----------------------------------------------------------------------------


def _export_rows(client, fmt="xlsx") -> list[list]:
    data = client.get(f"/members/export.{fmt}").data
    if fmt == "csv":
        return [line.split(",") for line in data.decode("utf-8-sig").splitlines()]
    return [[c.value for c in r] for r in load_workbook(io.BytesIO(data)).active.iter_rows()]


def test_staff_export_is_masked_and_audited(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    rows = _export_rows(client)
    phone_col = HEADER.index("手机")
    phones = {r[phone_col] for r in rows[1:]}
    assert tenant.members[0].phone not in phones
    assert all("****" in p for p in phones if p)
    with system_scope("test: read the log"):
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.tenant_id == tenant.association.id
    assert event.changes == {"format": "xlsx", "rows": len(rows) - 1, "contacts": "masked"}


def test_admin_export_has_contacts_and_neutralises_formulas(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    client.post(
        "/members/new",
        data={"name": "=1+2", "phone": "13912340000", "title": "senior", "department": "@SUM(A1)"},
    )
    rows = _export_rows(client, "csv")
    assert tenant.members[0].phone in {r[HEADER.index("手机")] for r in rows}
    dangerous = next(r for r in rows if r[0].endswith("=1+2"))
    assert dangerous[0] == "'=1+2"
    assert dangerous[HEADER.index("院系")] == "'@SUM(A1)"


# --- member self-service ----------------------------------------------------------------


def test_a_member_sees_purposes_corrects_exports_and_erases(app, world, client):
    tenant = world.a.first
    me = tenant.members[0]
    member_user = tenant.users[Role.MEMBER]
    client.login_as(member_user)
    page = client.get("/me/").get_data(as_text=True)
    assert me.name in page and "用于联系您参加科协活动" in page

    assert client.post("/me/", data={"phone": "13655556666", "email": me.email}).status_code == 302
    exported = json.loads(client.get("/me/export.json").data)
    assert exported["phone"] == "13655556666"

    with use_scope(Scope.association(tenant.association.id)):
        counts_before = dict(
            db.session.execute(
                sa.select(Member.title, sa.func.count()).group_by(Member.title)
            ).all()
        )
    # Erasure asks first, and wants the word typed (service/web/confirmations.py).
    assert client.post("/me/erase").status_code == 200
    confirmed = {"confirmed": "yes", "confirmation_word": "删除"}
    assert client.post("/me/erase", data=confirmed).status_code == 302
    with use_scope(Scope.association(tenant.association.id)):
        erased = db.session.scalars(sa.select(Member).where(Member.id == me.id)).one()
        assert erased.phone is None and erased.email is None and erased.name == "已注销会员"
        assert erased.status == "withdrawn" and erased.erased_at is not None
        counts_after = dict(
            db.session.execute(
                sa.select(Member.title, sa.func.count()).group_by(Member.title)
            ).all()
        )
    assert counts_after == counts_before  # the counts stay right
    assert app.test_client().login_as(member_user).get("/").status_code == 302  # account closed


def test_a_member_without_a_record_gets_404(world, client):
    client.login_as(world.a.second.users[Role.MEMBER])
    with use_scope(Scope.association(world.a.second.association.id)):
        db.session.execute(sa.update(Member).values(user_id=None))
        db.session.commit()
    assert client.get("/me/").status_code == 404


# --- API --------------------------------------------------------------------------------


def _bearer(pair):
    return {"Authorization": f"Bearer {pair[1]}"}


def test_a_read_only_token_lists_members_with_contacts_masked(world, client):
    tenant = world.a.first
    response = client.get("/api/v1/members/", headers=_bearer(tenant.tokens["ro"]))
    assert response.status_code == 200
    assert {m["id"] for m in response.json} == {m.id for m in tenant.members}
    assert all("****" in m["phone"] for m in response.json)
    assert response.json[0]["eligibility"] in {"automatic", "may_join"}


def test_the_api_adds_a_member_and_refuses_duplicates_and_ineligible(world, client):
    tenant = world.a.first
    headers = _bearer(tenant.tokens["rw"])
    created = client.post(
        "/api/v1/members/", json={"name": "陈晨", "email": "CC@example.edu.cn"}, headers=headers
    )
    assert created.status_code == 422  # no title, no society, no exception
    assert "不符合入会条件" in created.json["message"] or "Not eligible" in created.json["message"]
    created = client.post(
        "/api/v1/members/",
        json={"name": "陈晨", "email": "CC@example.edu.cn", "title": "intermediate"},
        headers=headers,
    )
    assert created.status_code == 201 and created.json["email"] == "cc@example.edu.cn"
    again = client.post(
        "/api/v1/members/",
        json={"name": "陈晨二", "email": "cc@example.edu.cn", "title": "senior"},
        headers=headers,
    )
    assert again.status_code == 422
    unknown = client.post("/api/v1/members/", json={"name": "x", "tenant_id": 1}, headers=headers)
    assert unknown.status_code == 422


def test_group_member_status_changes_keep_history(world, client):
    tenant = world.a.first
    headers = _bearer(tenant.tokens["rw"])
    group = client.post(
        "/api/v1/group-members/",
        json={"name": "研究生科协", "kind": "graduate", "member_count": 120},
        headers=headers,
    ).json
    changed = client.patch(
        f"/api/v1/group-members/{group['id']}",
        json={"status": "inactive", "reason": "换届未完成"},
        headers=headers,
    )
    assert changed.status_code == 200 and changed.json["status"] == "inactive"
    assert changed.json["member_count"] == 120
    with use_scope(Scope.association(tenant.association.id)):
        history = db.session.scalars(
            sa.select(GroupMemberStatusChange).where(
                GroupMemberStatusChange.group_member_id == group["id"]
            )
        ).all()
    assert [(h.from_status, h.to_status, h.reason) for h in history] == [
        ("active", "inactive", "换届未完成")
    ]


def _group_named(tenant, name: str):
    with use_scope(Scope.association(tenant.association.id)):
        group = db.session.scalars(sa.select(GroupMember).where(GroupMember.name == name)).one()
        history = db.session.scalars(
            sa.select(GroupMemberStatusChange).where(
                GroupMemberStatusChange.group_member_id == group.id
            )
        ).all()
        db.session.expunge_all()
    return group, history


def test_staff_add_and_edit_a_group_member_on_the_web(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    form = {
        "name": "  化学学院青年教师协会 ",
        "kind": "other",
        "kind_name": " 青年教师协会 ",
        "leader_name": "",
        "contact_phone": "",
        "member_count": "35",
        "status": "active",
        "joined_on": "2024-09-01",
    }
    added = client.post("/members/groups/new", data=form)
    assert added.status_code == 302
    group, history = _group_named(tenant, "化学学院青年教师协会")
    assert (group.kind_name, group.leader_name, group.member_count) == ("青年教师协会", None, 35)
    assert str(group.joined_on) == "2024-09-01" and history == []

    edited = client.post(
        f"/members/groups/{group.id}",
        data={
            **form,
            "joined_on": "",  # left empty: the day it joined stays
            "leader_name": "孙悦",
            "status": "inactive",
            "reason": "换届未完成",
            "status_on": "2025-03-01",
        },
    )
    assert edited.status_code == 302
    group, history = _group_named(tenant, "化学学院青年教师协会")
    assert (group.status, group.leader_name, str(group.joined_on)) == (
        "inactive",
        "孙悦",
        "2024-09-01",
    )
    assert [(h.from_status, h.to_status, h.reason, str(h.changed_on)) for h in history] == [
        ("active", "inactive", "换届未完成", "2025-03-01")
    ]


def test_another_association_s_record_is_404_whatever_the_body(world, client):
    """The id is looked up before the body is checked: a 422 would say the id exists."""
    mine, theirs = world.a.first, world.b.first
    with use_scope(Scope.association(theirs.association.id)):
        group = GroupMember(name="别人的团体会员", kind="graduate", tenant_id=theirs.association.id)
        db.session.add(group)
        db.session.flush()
    headers = _bearer(mine.tokens["rw"])
    bad_member, bad_group = {"title": "no-such-title"}, {"member_count": -1}
    for path, body in (
        (f"/api/v1/members/{theirs.members[0].id}", bad_member),
        (f"/api/v1/group-members/{group.id}", bad_group),
    ):
        assert client.patch(path, json=body, headers=headers).status_code == 404, path
    # The same body on one's own member is the 422 it deserves.
    own = client.patch(f"/api/v1/members/{mine.members[0].id}", json=bad_member, headers=headers)
    assert own.status_code == 422


# --- applications -----------------------------------------------------------------------


def test_apply_then_approve(app, world, client):
    tenant = world.a.first
    visitor = app.test_client()
    form = visitor.get(f"/join/{tenant.association.id}")
    assert form.status_code == 200 and tenant.association.name in form.get_data(as_text=True)
    applied = visitor.post(
        f"/join/{tenant.association.id}",
        data={"name": "何静", "phone": "13566667777", "title": "associate_senior", "consent": "y"},
    )
    assert applied.status_code == 200 and "已收到" in applied.get_data(as_text=True)

    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    listing = client.get("/members/applications/").get_data(as_text=True)
    assert "何静" in listing
    with use_scope(Scope.association(tenant.association.id)):
        from service.members.models import MemberApplication

        application = db.session.scalars(
            sa.select(MemberApplication).where(MemberApplication.name == "何静")
        ).one()
        application_id = application.id
    decided = client.post(f"/members/applications/{application_id}", data={"decision": "approve"})
    assert decided.status_code == 302
    member = next(m for m in members_of(tenant) if m.name == "何静")
    assert member.phone == "13566667777" and member.consent_version == 1
    # A second decision on the same application is refused.
    again = client.post(f"/members/applications/{application_id}", data={"decision": "approve"})
    assert again.status_code == 400


def test_an_application_from_an_existing_member_is_merged(app, world, client):
    tenant = world.a.first
    existing = tenant.members[1]
    before = len(members_of(tenant))
    app.test_client().post(
        f"/join/{tenant.association.id}",
        data={
            "name": existing.name,
            "phone": existing.phone,
            "title": "senior",
            "department": "新院系",
            "consent": "y",
        },
    )
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    with use_scope(Scope.association(tenant.association.id)):
        from service.members.models import MemberApplication

        application_id = db.session.scalars(
            sa.select(MemberApplication.id).where(MemberApplication.phone == existing.phone)
        ).one()
    client.post(f"/members/applications/{application_id}", data={"decision": "approve"})
    assert len(members_of(tenant)) == before


def test_an_application_without_consent_is_refused(app, world):
    tenant = world.a.first
    response = app.test_client().post(
        f"/join/{tenant.association.id}",
        data={"name": "无同意", "phone": "13566660000", "title": "senior"},
    )
    assert response.status_code == 400 and "需要您的同意" in response.get_data(as_text=True)


def test_an_invitation_only_association_needs_its_code(app, world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    client.post(
        "/members/policy",
        data={"procedure": "invitation_only", "rights_and_duties": "遵守章程，按时参加活动"},
    )
    url = f"/join/{tenant.association.id}"
    assert app.test_client().get(url).status_code == 404
    with use_scope(Scope.association(tenant.association.id)):
        from service.members.models import MembershipPolicy

        code = db.session.scalars(sa.select(MembershipPolicy.invite_code)).one()
    assert app.test_client().get(f"{url}?code={code}").status_code == 200


def _policy_rows(association_id: int) -> int:
    with use_scope(Scope.association(association_id)):
        return db.session.scalar(sa.select(sa.func.count()).select_from(MembershipPolicy))


def test_pages_that_show_the_policy_write_nothing_until_the_admin_saves_it(app, world, client):
    tenant = world.a.first
    association_id = tenant.association.id
    with use_scope(Scope.association(association_id)):
        db.session.execute(sa.delete(MembershipPolicy))
        db.session.commit()
    before = row_counts()
    form = app.test_client().get(f"/join/{association_id}")
    assert form.status_code == 200 and tenant.association.name in form.get_data(as_text=True)
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    for page in ("/members/policy", "/members/applications/"):
        assert client.get(page).status_code == 200, page
    changed = {table: n for table, n in row_counts().items() if n != before[table]}
    assert changed == {}  # no policy row, no audit event

    # An applicant consents to the default policy's first version; still no policy row.
    applied = app.test_client().post(
        f"/join/{association_id}",
        data={"name": "默认", "phone": "13566661234", "title": "senior", "consent": "y"},
    )
    assert applied.status_code == 200
    with use_scope(Scope.association(association_id)):
        application = db.session.scalars(
            sa.select(MemberApplication).where(MemberApplication.name == "默认")
        ).one()
        assert application.consent_version == 1
    assert _policy_rows(association_id) == 0

    # The admin's save is the write that makes the row, and it is audited.
    audited = row_counts()["audit_event"]
    saved = client.post(
        "/members/policy", data={"procedure": "open_with_approval", "rights_and_duties": "遵守章程"}
    )
    assert saved.status_code == 302
    assert _policy_rows(association_id) == 1
    with use_scope(Scope.association(association_id)):
        policy = db.session.scalars(sa.select(MembershipPolicy)).one()
        assert (policy.rights_and_duties, policy.consent_version) == ("遵守章程", 2)
    assert row_counts()["audit_event"] > audited


def test_a_rejection_needs_a_reason(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    application_id = tenant.applications[0].id
    assert (
        client.post(
            f"/members/applications/{application_id}", data={"decision": "reject"}
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"/members/applications/{application_id}",
            data={"decision": "reject", "reason": "非本校教职工"},
        ).status_code
        == 302
    )


def test_a_queued_import_shows_that_it_is_checking_until_the_worker_finishes(world, client):
    if not REDIS_URL:
        pytest.skip("without Redis the import runs inline and is never seen queued")
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    response = client.post(
        "/members/imports",
        data={"file": (io.BytesIO(csv_bytes([row("排队", phone="15800000009")])), "q.csv")},
        content_type="multipart/form-data",
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "正在检查" in page and 'http-equiv="refresh"' in page
    run_queued_jobs()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已导入 1 名会员" in page and 'http-equiv="refresh"' not in page


def test_supervisors_receive_counts_never_names(world, client):
    response = client.get("/api/v1/member-counts/", headers=_bearer(world.a.tokens["ro"]))
    assert response.status_code == 200
    by_association = {c["association_id"]: c for c in response.json}
    assert set(by_association) == {world.a.first.association.id, world.a.second.association.id}
    first = by_association[world.a.first.association.id]
    assert first["active"] == len(world.a.first.members) and first["group_members"] == 1
    body = response.get_data(as_text=True)
    assert all(m.name not in body and m.phone not in body for m in world.a.first.members)
    national = client.get("/api/v1/member-counts/", headers=_bearer(world.national_a))
    assert {c["association_id"] for c in national.json} == set(by_association)
    assert (
        client.get(
            "/api/v1/member-counts/", headers=_bearer(world.a.first.tokens["ro"])
        ).status_code
        == 403
    )
