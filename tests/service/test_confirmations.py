"""Every weighty or irreversible action of service/web/confirmations.py asks first: a POST
without the confirmation does nothing and shows what will happen, with the action as a
button and a way back; with it, the action is done. The walk is over CONFIRMATIONS, so an
action added there without a scenario here, or a listed endpoint that does not exist, fails."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from service.activities.models import Activity
from service.audit.models import AuditEvent
from service.auth.models import User
from service.auth.roles import Role
from service.members.models import Member
from service.reporting import services as reporting
from service.reporting.models import AnnualReport, FederationRollup
from service.web.confirmations import CONFIRMATIONS
from tenants.db import db
from tenants.scope import system_scope
from tests import factories
from tests.snapshots import row_counts

YEAR = date.today().year


def _report_in(world, status: str) -> int:
    """This year's report of the first association of province A, in `status`."""
    federation_id = world.a.federation.id
    period = reporting.open_period(federation_id, YEAR, date(YEAR + 1, 3, 31), "test")
    report = reporting.start_compile(world.a.first.association.id, period)
    report.figures, report.status = {}, status
    db.session.flush()
    return report.id


def _rollup_with_one_of_two(world) -> int:
    """A draft roll-up of this year with the first association's approved report only."""
    report = db.session.get(AnnualReport, _report_in(world, "submitted"))
    reporting.approve(report, "test")
    db.session.flush()
    return reporting.compile_rollup(world.a.federation.id, YEAR).id


def _held_activity(world) -> int:
    return factories.make_activity(world.a.first.association, status="held").id


def _member_id(world) -> int:
    user = world.a.first.users[Role.MEMBER]
    return db.session.scalar(sa.select(Member.id).where(Member.user_id == user.id))


@dataclass(frozen=True)
class Scenario:
    """How to reach the action in a state where it would succeed, and what it changes."""

    who: Callable  # world -> the user who acts
    prepare: Callable  # world -> the id the action is about (run in a system scope)
    url: str  # formatted with the id
    state: Callable  # id -> what the action changes
    says: str  # words the confirmation must state
    data: tuple[tuple[str, str], ...] = ()
    # For an action on rows chosen in a form (a bulk action): the field carrying the id.
    id_field: str | None = None
    # What the action answers once confirmed: a redirect, or a download.
    done: int = 302

    def body(self, target: int) -> dict:
        return {**dict(self.data), **({self.id_field: str(target)} if self.id_field else {})}


def _table_exports(_federation_id: int) -> int:
    """How many lines the association table's exports left in the log."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "export", AuditEvent.entity == "association_table")
    )


def _report_status(report_id: int) -> str:
    return db.session.get(AnnualReport, report_id).status


SCENARIOS: dict[str, Scenario] = {
    "reporting.submit": Scenario(
        lambda w: w.a.first.users[Role.ASSOCIATION_ADMIN],
        lambda w: _report_in(w, "compiled"),
        "/reporting/reports/{}/submit",
        _report_status,
        "将提交省科协审核",
    ),
    "reporting.review": Scenario(
        lambda w: w.a.users[Role.FEDERATION_OFFICER],
        lambda w: _report_in(w, "submitted"),
        "/reporting/reports/{}/review",
        _report_status,
        "审核通过并锁定",
        (("decision", "approve"),),
    ),
    "reporting.lock_rollup": Scenario(
        lambda w: w.a.users[Role.FEDERATION_OFFICER],
        _rollup_with_one_of_two,
        "/reporting/rollups/{}/lock",
        lambda rollup_id: db.session.get(FederationRollup, rollup_id).locked_hash,
        f"2 个高校科协中有 1 个的报告尚未审核通过；现在锁定，{YEAR}年度汇总将只包含 1 个高校科协。",
    ),
    "activities.advance": Scenario(
        lambda w: w.a.first.users[Role.ASSOCIATION_STAFF],
        _held_activity,
        "/activities/{}/advance",
        lambda activity_id: db.session.get(Activity, activity_id).status,
        "已上报的活动即为最终状态",
    ),
    "activities.report_many": Scenario(
        lambda w: w.a.first.users[Role.ASSOCIATION_STAFF],
        _held_activity,
        "/activities/reported",
        lambda activity_id: db.session.get(Activity, activity_id).status,
        "将有 1 项活动标记为已上报",
        id_field="activity_id",
    ),
    "members.change_statuses": Scenario(
        lambda w: w.a.first.users[Role.ASSOCIATION_STAFF],
        lambda w: w.a.first.members[0].id,
        "/members/status",
        lambda member_id: db.session.get(Member, member_id).status,
        "将有 1 名会员自",
        (("status", "lapsed"),),
        id_field="member_id",
    ),
    "federation.act_on_chosen": Scenario(
        lambda w: w.a.users[Role.FEDERATION_OFFICER],
        lambda w: w.a.federation.id,
        "/federation/associations/chosen",
        _table_exports,
        "当前筛选条件下的全部 2 个高校科协将导出为 Excel",
        (("action", "export"), ("all_matching", "yes")),
        done=200,
    ),
    "me.withdraw_consent": Scenario(
        lambda w: w.a.first.users[Role.MEMBER],
        _member_id,
        "/me/consent/withdraw",
        lambda member_id: db.session.get(Member, member_id).consent_withdrawn_at,
        "您的姓名将不再报送省科协",
    ),
    "me.erase": Scenario(
        lambda w: w.a.first.users[Role.MEMBER],
        _member_id,
        "/me/erase",
        lambda member_id: db.session.get(Member, member_id).erased_at,
        "永久删除",
    ),
}


def _prepare(world, scenario: Scenario) -> int:
    with system_scope("test: a state in which the action would succeed"):
        target = scenario.prepare(world)
        db.session.commit()
    return target


def _state(scenario: Scenario, target: int):
    with system_scope("test: what the action changes"):
        db.session.expire_all()
        return scenario.state(target)


def test_every_listed_action_has_a_scenario_here():
    assert set(SCENARIOS) == set(CONFIRMATIONS)


@pytest.mark.parametrize("endpoint", sorted(CONFIRMATIONS))
def test_every_listed_action_is_a_post_route_of_the_app(app, endpoint):
    methods = {m for rule in app.url_map.iter_rules(endpoint) for m in rule.methods}
    assert "POST" in methods, endpoint


def test_an_unknown_endpoint_would_fail_the_walk(app):
    with pytest.raises(KeyError):
        list(app.url_map.iter_rules("reporting.no_such_action"))


@pytest.mark.parametrize("endpoint", sorted(CONFIRMATIONS))
def test_the_action_asks_first_and_changes_nothing_until_confirmed(client, world, endpoint):
    scenario, entry = SCENARIOS[endpoint], CONFIRMATIONS[endpoint]
    target = _prepare(world, scenario)
    url = scenario.url.format(target)
    client.login_as(scenario.who(world))
    before, counts = _state(scenario, target), row_counts()

    response = client.post(url, data=scenario.body(target))
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert f'<h1 id="confirm-title">{entry.title}</h1>' in page
    assert scenario.says in page
    # The action is the one filled button; the way back is a plain link.
    assert re.search(rf'<button type="submit" class="danger">{entry.button}</button>', page)
    assert re.search(r'<a href="/[^"]*" class="back-link">返回</a>', page)
    # The form posts the same fields again, with the confirmation.
    for name, value in scenario.body(target).items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in page
    assert '<input type="hidden" name="confirmed" value="yes">' in page
    assert _state(scenario, target) == before
    assert row_counts() == counts

    data = {**scenario.body(target), "confirmed": "yes"}
    if entry.typed_word is not None:
        assert 'name="confirmation_word"' in page
        # The button alone is not enough: a missing or wrong word is refused, changing nothing.
        for word in ("", "delete", "删 除"):
            refused = client.post(url, data={**data, "confirmation_word": word})
            assert refused.status_code == 400
            assert "请按提示准确输入" in refused.get_data(as_text=True)
            assert _state(scenario, target) == before
        data["confirmation_word"] = " 删除 "
    done = client.post(url, data=data)
    assert done.status_code == scenario.done, done.get_data(as_text=True)
    assert _state(scenario, target) != before


def test_the_lock_names_the_associations_left_out(client, world):
    scenario = SCENARIOS["reporting.lock_rollup"]
    target = _prepare(world, scenario)
    client.login_as(scenario.who(world))
    page = client.post(scenario.url.format(target)).get_data(as_text=True)
    assert f"未计入：{world.a.second.association.name}。" in page
    assert world.a.first.association.name not in page.split("未计入")[1].split("</p>")[0]


def test_returning_a_report_needs_no_confirmation(client, world):
    """Only approval locks; a return goes back to the association with the comments."""
    report_id = _prepare(world, SCENARIOS["reporting.review"])
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    response = client.post(
        f"/reporting/reports/{report_id}/review",
        data={"decision": "return", "comment_ORG02": "请核对"},
    )
    assert response.status_code == 302
    assert _state(SCENARIOS["reporting.review"], report_id) == "returned"


def test_marking_a_planned_activity_held_needs_no_confirmation(client, world):
    """Only 已上报 is final; planned → held is an ordinary step."""
    with system_scope("test: a planned activity"):
        activity_id = factories.make_activity(
            world.a.first.association, status="planned", starts_on=date(2020, 5, 10)
        ).id
        db.session.commit()
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    assert client.post(f"/activities/{activity_id}/advance").status_code == 302
    with system_scope("test: the activity's status"):
        db.session.expire_all()
        assert db.session.get(Activity, activity_id).status == "held"


def test_another_tenant_s_row_is_404_before_any_confirmation(client, world):
    """The confirmation reads the row in the caller's scope: no page for a foreign id."""
    rollup_id = _prepare(world, SCENARIOS["reporting.lock_rollup"])
    with system_scope("test: the report in the roll-up"):
        report_id = db.session.scalar(
            sa.select(AnnualReport.id).where(
                AnnualReport.tenant_id == world.a.first.association.id,
                AnnualReport.status == "approved",
            )
        )
    activity_id = _prepare(world, SCENARIOS["activities.advance"])
    client.login_as(world.a.second.users[Role.ASSOCIATION_ADMIN])
    assert client.post(f"/reporting/reports/{report_id}/submit").status_code == 404
    assert client.post(f"/activities/{activity_id}/advance").status_code == 404
    client.login_as(world.b.users[Role.FEDERATION_OFFICER])
    assert client.post(f"/reporting/rollups/{rollup_id}/lock").status_code == 404
    data = {"decision": "approve"}
    assert client.post(f"/reporting/reports/{report_id}/review", data=data).status_code == 404


def test_the_erasure_closes_the_account_only_after_the_typed_word(client, world):
    member_user = world.a.first.users[Role.MEMBER]
    client.login_as(member_user)
    client.post("/me/erase", data={"confirmed": "yes"})
    with system_scope("test: the account"):
        db.session.expire_all()
        assert db.session.get(User, member_user.id).active
