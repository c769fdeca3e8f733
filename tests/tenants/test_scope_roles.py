"""A role per kind of scope (migration 0035): each transaction takes its scope's role, and
each role is bound by its own policies alone. PostgreSQL only."""

import pytest
import sqlalchemy as sa

from tenants import rls
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests.conftest import PG_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="row-level security needs PostgreSQL"),
]

COUNT = sa.text("SELECT count(*) FROM association_profile")
WHO = sa.text("SELECT current_user, session_user")


def _roles() -> dict[str, str]:
    return rls.scope_roles(db.session.execute(sa.text("SELECT current_database()")).scalar())


def test_each_kind_of_scope_runs_as_its_role(world):
    roles = _roles()
    login = db.session.execute(WHO).one().session_user
    seen = {}
    for name, scope in {
        "association": use_scope(Scope.association(world.a.first.association.id)),
        "federation": use_scope(Scope.federation(world.a.federation.id)),
        "national": use_scope(Scope.national([world.a.federation.id, world.b.federation.id])),
        "system": system_scope("test: the system's role"),
        "nothing": use_scope(Scope.nothing()),
    }.items():
        with scope:
            seen[name] = db.session.execute(WHO).one()
    assert {name: user for name, (user, _) in seen.items()} == {
        "association": roles["association"],
        "federation": roles["federation"],
        "national": roles["federation"],
        "system": roles["system"],
        "nothing": login,
    }
    assert {session for _, session in seen.values()} == {login}


def test_only_the_system_role_bypasses(world):
    rows = db.session.execute(
        sa.text("SELECT rolname, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = ANY(:r)"),
        {"r": list(_roles().values())},
    ).all()
    assert {r.rolname: (r.rolbypassrls, r.rolcanlogin) for r in rows} == {
        name: (kind == "system", False) for kind, name in _roles().items()
    }


def test_an_association_read_checks_its_own_rule_alone(world):
    """The association role's one policy compares the row's tenant with the setting's id,
    which the planner folds into the statement's condition: no federations' rule, no
    bypass, nothing checked row by row beyond the tenant."""
    association = world.a.first.association.id
    with use_scope(Scope.association(association)):
        plan = "\n".join(
            db.session.execute(
                sa.text("EXPLAIN SELECT count(*) FROM member WHERE tenant_id = :t"),
                {"t": association},
            ).scalars()
        )
    assert "app_ids" not in plan and "app_bypass" not in plan and "SubPlan" not in plan, plan
    assert " OR " not in plan, plan


@pytest.mark.parametrize("kind", ["association", "federation"])
def test_a_role_ignores_the_other_kinds_setting(world, kind):
    """A transaction as one kind's role with the other kind's ids set sees nothing: the
    role decides which rule applies, so settings that disagree with it fail closed."""
    roles = _roles()
    other = {
        "association": ("app.federation_ids", str(world.a.federation.id)),
        "federation": ("app.tenant_ids", str(world.a.first.association.id)),
    }[kind]
    with db.session.begin_nested():
        db.session.execute(
            sa.text("SELECT set_config('role', :r, true), set_config(:s, :v, true)"),
            {"r": roles[kind], "s": other[0], "v": other[1]},
        )
        assert db.session.execute(COUNT).scalar() == 0
        assert db.session.execute(sa.text("SELECT count(*) FROM association")).scalar() == 0
        db.session.execute(sa.text("SELECT set_config('role', 'none', true)"))
