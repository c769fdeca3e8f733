"""The statistics stand for their year as things happened: three years of history built by
hand, each year compiled through the reporting service and compared with counts made by
hand; then records of the third year change, and the first two years compile to the same
figures and hashes. The demo's last-year reports count its association and its group
members as they stood at that year's end."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from service import demo
from service.activities.models import Activity
from service.associations.models import AssociationProfile
from service.auth.roles import Role
from service.governance import establishment
from service.governance.models import Establishment
from service.members import applications
from service.members import services as members
from service.members.models import (
    GroupMember,
    Member,
    MemberApplication,
    MemberStatus,
    MemberStatusChange,
)
from service.reporting import jobs as reporting_jobs
from service.reporting import services as reporting
from service.reporting.models import AnnualReport, ReportingPeriod, content_hash
from tenants.db import db
from tenants.models import Association
from tenants.scope import Scope, system_scope, use_scope
from tests import factories

# The third year is this one, so that an erasure (dated the day it happens) falls in it.
Y3 = date.today().year
Y1, Y2 = Y3 - 2, Y3 - 1
ORGANISATION = ("ORG01", "ORG02", "ORG03", "ORG031", "ORG032", "ORG033", "ORG035", "ACA01")

# Counted by hand from `history` below: who and what existed on 31 December of each year.
EXPECTED_A = {
    # 星海: approved in Y1; suspended in Y3, which does not end it
    Y1: {"ORG01": 1, "ORG02": 3, "ORG03": 1, "ORG031": 1, "ORG032": 0, "ORG033": 0},
    Y2: {"ORG01": 1, "ORG02": 4, "ORG03": 3, "ORG031": 1, "ORG032": 1, "ORG035": 1},
    Y3: {"ORG01": 1, "ORG02": 5, "ORG03": 3, "ORG031": 1, "ORG033": 1, "ORG035": 1},
}
# members at Y1's end: 李 (joined Y1), 王 (lapses in Y2), 赵 (dies in Y2); 孙 lapsed in Y1
#         at Y2's end: 李, 周 (erased in Y3), 吴 (withdraws in Y3), 孙 (reinstated in Y2)
#         at Y3's end: 李, 孙, 郑 (joined in Y3), 陈 (approved application, today), 周 (not yet
#                      erased: that is in the second step)
# group members at Y1's end: the undergraduates; the department's was inactive from December
#         at Y2's end: undergraduates, graduates (dissolved in Y3), the department's (active
#                      again from June)
#         at Y3's end: undergraduates, the department's, the young teachers' (joined in Y3)
EXPECTED_B = {Y1: {"ORG01": 0}, Y2: {"ORG01": 1}, Y3: {"ORG01": 1}}  # founded in Y2
ACTIVITIES = {Y1: 1, Y2: 2, Y3: 1}  # ACA01: held events by their start date


def _expected(association: dict, year: int) -> dict:
    return {code: association.get(year, {}).get(code, 0) for code in ORGANISATION}


@pytest.fixture
def history(db_session):
    """Two associations of one federation with three years of dated history."""
    with system_scope("test: a federation's history"):
        federation = factories.make_federation()
        a = factories.make_association(federation, name="星海大学科学技术协会")
        b = factories.make_association(federation, name="云岭大学科学技术协会")
        db.session.add(
            Establishment(
                tenant_id=a.id,
                charter_accepted_on=date(Y1, 3, 1),
                approved_on=date(Y1, 4, 10),
                approved_by_federation_id=federation.id,
                document_number=f"科协函〔{Y1}〕7号",
            )
        )
        profile = db.session.scalar(
            sa.select(AssociationProfile).where(AssociationProfile.tenant_id == b.id)
        )
        profile.founded_on = date(Y2, 6, 1)  # no approval on file: its founding date counts
        for year in (Y1, Y2, Y3):
            reporting.open_period(federation.id, year, date(year + 1, 3, 31), "test")
        aid, bid = a.id, b.id
        db.session.commit()
    with use_scope(Scope.association(aid)):
        people = {}
        for name, joined in (
            ("李", date(Y1, 3, 1)),
            ("王", date(Y1, 9, 1)),
            ("孙", date(Y1, 1, 10)),
            ("赵", date(Y1, 5, 1)),
            ("周", date(Y2, 2, 1)),
            ("吴", date(Y2, 6, 1)),
            ("郑", date(Y3, 5, 1)),
        ):
            people[name] = members.create_member(_person(name, joined))
        members.set_member_status(people["王"], MemberStatus.LAPSED, date(Y2, 5, 1))
        members.set_member_status(people["孙"], MemberStatus.LAPSED, date(Y1, 11, 1))
        members.set_member_status(people["孙"], MemberStatus.ACTIVE, date(Y2, 3, 1))
        members.set_member_status(people["赵"], MemberStatus.DECEASED, date(Y2, 8, 1))
        members.set_member_status(people["吴"], MemberStatus.WITHDRAWN, date(Y3, 2, 1))
        application = MemberApplication(
            name="陈", phone="13600000001", title="senior", consent_version=1
        )
        db.session.add(application)
        db.session.flush()
        people["陈"] = applications.approve(application, "test")

        groups = {
            "undergraduate": _group("undergraduate", date(Y1, 9, 1)),
            "graduate": _group("graduate", date(Y2, 3, 1)),
            "department": _group("department", date(Y1, 10, 1)),
            "young_teacher": _group("young_teacher", date(Y3, 3, 1)),
        }
        members.set_group_status(groups["department"], "inactive", "停止活动", date(Y1, 12, 1))
        members.set_group_status(groups["department"], "active", "恢复活动", date(Y2, 6, 1))
        members.set_group_status(groups["graduate"], "dissolved", "撤销", date(Y3, 4, 1))

        activities = {}
        for year, events in ACTIVITIES.items():
            activities[year] = factories.make_activity(
                a, starts_on=date(year, 5, 10), ends_on=date(year, 5, 10), events=events
            ).id
        factories.make_activity(  # planned: not counted
            a, starts_on=date(Y3, 10, 1), ends_on=date(Y3, 10, 1), status="planned"
        )
        people = {name: member.id for name, member in people.items()}
        groups = {kind: group.id for kind, group in groups.items()}
        db.session.commit()
    with system_scope("test: a suspension"):
        establishment.change_status(db.session.get(Association, aid), "suspended", "整改", "t")
        db.session.commit()
    return {"a": aid, "b": bid, "people": people, "groups": groups, "activities": activities}


def _person(name: str, joined: date) -> dict:
    n = ord(name)
    return {"name": name, "phone": f"139{n:08d}", "title": "intermediate", "joined_on": joined}


def _group(kind: str, joined: date) -> GroupMember:
    group = GroupMember(name=f"{kind}科协", kind=kind, joined_on=joined)
    db.session.add(group)
    db.session.flush()
    return group


def _compile(association_id: int, year: int) -> tuple[dict, str]:
    """Compile as the app does: start the report, run the compile job; figures and hash."""
    with use_scope(Scope.association(association_id)):
        period = db.session.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.year == year))
        report = reporting.start_compile(association_id, period)
        db.session.commit()
        assert reporting_jobs.compile_report(report.id) == "compiled"
        report = reporting.current_report(association_id, period.id)
        return dict(report.figures), report.figures_hash


def _organisation(figures: dict) -> dict:
    return {code: figures[code] for code in ORGANISATION}


def test_each_year_counts_what_existed_then(history):
    for year in (Y1, Y2, Y3):
        figures, digest = _compile(history["a"], year)
        expected = _expected(EXPECTED_A, year) | {"ACA01": ACTIVITIES[year]}
        assert _organisation(figures) == expected, year
        assert digest == content_hash(figures)
        other, _ = _compile(history["b"], year)
        assert _organisation(other) == _expected(EXPECTED_B, year), year


def test_changes_in_the_third_year_leave_the_first_two_as_they_were(history):
    before = {
        (aid, year): _compile(aid, year)
        for aid in (history["a"], history["b"])
        for year in (Y1, Y2)
    }
    people, groups = history["people"], history["groups"]
    with use_scope(Scope.association(history["a"])):
        members.erase_member(db.session.get(Member, people["周"]))
        members.set_member_status(
            db.session.get(Member, people["李"]), MemberStatus.LAPSED, date(Y3, 6, 1)
        )
        members.create_member(_person("冯", date(Y3, 7, 1)))
        members.set_group_status(
            db.session.get(GroupMember, groups["undergraduate"]),
            "inactive",
            "换届",
            date(Y3, 9, 1),
        )
        _group("retired_teacher", date(Y3, 10, 1))
        db.session.get(Activity, history["activities"][Y3]).events = 3
        factories.make_activity(
            db.session.get(Association, history["a"]),
            starts_on=date(Y3, 11, 2),
            ends_on=date(Y3, 11, 2),
        )
        db.session.commit()
    with system_scope("test: a dissolution"):
        establishment.change_status(
            db.session.get(Association, history["b"]), "dissolved", "合并", "t"
        )
        db.session.commit()

    for (aid, year), (figures, digest) in before.items():
        assert _compile(aid, year) == (figures, digest), (aid, year)

    figures, _ = _compile(history["a"], Y3)
    # 李 lapsed and 周 erased; 冯 joined: 孙, 郑, 陈, 冯
    assert figures["ORG02"] == 4
    # the undergraduates left; the retired teachers joined
    assert (figures["ORG03"], figures["ORG031"], figures["ORG034"]) == (3, 0, 1)
    assert figures["ACA01"] == 3 + 1
    dissolved, _ = _compile(history["b"], Y3)
    assert dissolved["ORG01"] == 0


def test_erasure_keeps_the_dated_rows_and_no_personal_data(history):
    with use_scope(Scope.association(history["a"])):
        member = db.session.get(Member, history["people"]["周"])
        members.erase_member(member)
        db.session.flush()
        rows = db.session.execute(
            sa.select(
                MemberStatusChange.change, MemberStatusChange.status, MemberStatusChange.changed_on
            )
            .where(MemberStatusChange.member_id == member.id)
            .order_by(MemberStatusChange.id)
        ).all()
        assert member.phone is None and member.name == "已注销会员"
    assert [tuple(r) for r in rows] == [
        ("joined", "active", date(Y2, 2, 1)),
        ("erased", "withdrawn", date.today()),
    ]


def test_a_status_change_cannot_be_dated_before_the_last_one(history):
    with use_scope(Scope.association(history["a"])):
        member = db.session.get(Member, history["people"]["吴"])
        with pytest.raises(members.MembershipError):
            members.set_member_status(member, MemberStatus.ACTIVE, date(Y3, 1, 1))
        assert member.status == MemberStatus.WITHDRAWN


def test_the_demo_counts_its_associations_and_group_members_at_the_year_end(db_session):
    """The demo's reports of last year: every association founded by then counts 1, and
    its group members and members are those that existed on 31 December."""
    with system_scope("test: the demo"):
        demo.load("pw-for-this-test")
        year = date.today().year - 1
        end = date(year, 12, 31)
        reports = db.session.execute(
            sa.select(Association.name, AnnualReport)
            .join(AnnualReport, AnnualReport.tenant_id == Association.id)
            .join(ReportingPeriod, ReportingPeriod.id == AnnualReport.period_id)
            .where(ReportingPeriod.year == year)
        ).all()
        assert len(reports) == len(demo.UNIVERSITIES)
        for name, report in reports:
            groups = db.session.scalars(
                sa.select(GroupMember).where(GroupMember.tenant_id == report.tenant_id)
            ).all()
            existed = [g for g in groups if g.joined_on <= end and g.status == "active"]
            assert report.figures["ORG01"] == 1, name
            assert report.figures["ORG03"] == len(existed) > 0, name
        zju = next(report for name, report in reports if name == "浙江大学科学技术协会")
        people = db.session.scalars(sa.select(Member).where(Member.tenant_id == zju.tenant_id))
        were_members = [
            m
            for m in people
            if m.joined_on <= end and (m.status == "active" or m.status_changed_on > end)
        ]
        assert zju.status == "approved"
        assert (zju.figures["ORG01"], zju.figures["ORG03"]) == (1, 4)
        assert zju.figures["ORG02"] == len(were_members) > 0


def _changes(association_id: int, member_id: int) -> list[tuple[str, str, date]]:
    with use_scope(Scope.association(association_id)):
        return [
            tuple(row)
            for row in db.session.execute(
                sa.select(
                    MemberStatusChange.change,
                    MemberStatusChange.status,
                    MemberStatusChange.changed_on,
                )
                .where(MemberStatusChange.member_id == member_id)
                .order_by(MemberStatusChange.id)
            )
        ]


def test_the_api_and_the_pages_date_what_they_record(world, client):
    tenant = world.a.first
    aid = tenant.association.id
    headers = {"Authorization": f"Bearer {tenant.tokens['rw'][1]}"}
    created = client.post(
        "/api/v1/members/",
        json={"name": "钱程", "phone": "13712340000", "title": "senior", "joined_on": "2019-09-01"},
        headers=headers,
    ).json
    client.patch(f"/api/v1/members/{created['id']}", json={"status": "lapsed"}, headers=headers)
    assert _changes(aid, created["id"]) == [
        ("joined", "active", date(2019, 9, 1)),
        ("lapsed", "lapsed", date.today()),
    ]
    group = client.post(
        "/api/v1/group-members/",
        json={"name": "材料学院科协", "kind": "department", "joined_on": "2018-10-01"},
        headers=headers,
    )
    assert group.status_code == 201 and group.json["joined_on"] == "2018-10-01"

    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    member = tenant.members[0]
    refused = client.post(
        f"/members/{member.id}/status", data={"status": "lapsed", "on": "2000-01-01"}
    )
    assert refused.status_code == 302
    page = client.get(f"/members/{member.id}").get_data(as_text=True)
    assert "状态变更的日期不能早于最近一次记录的变更" in page
    today = date.today()
    client.post(f"/members/{member.id}/status", data={"status": "deceased", "on": today})
    assert _changes(aid, member.id)[-1] == ("died", "deceased", today)
