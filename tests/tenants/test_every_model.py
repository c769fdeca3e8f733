"""Every tenant model, present and future, is isolated. A new model fails here until the
world fixture makes rows of it in every tenant."""

import pytest

from tenants.testing import assert_isolated, tenant_models


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m.__name__)
def test_every_tenant_model_is_isolated(world, model):
    tenants = [t.association for p in (world.a, world.b) for t in (p.first, p.second)]
    assert_isolated(model, tenants)


def test_the_world_fixture_does_not_leak_between_tests_part_one(world):
    from tenants.db import db
    from tenants.models import Federation
    from tenants.scope import system_scope

    with system_scope("test: write something the next test must not see"):
        db.session.add(Federation(code="LEAK", name="泄漏检测", province="无"))
        db.session.commit()


def test_the_world_fixture_does_not_leak_between_tests_part_two(db_session):
    import sqlalchemy as sa

    from tenants.models import Federation

    assert db_session.scalar(sa.select(Federation.id).where(Federation.code == "LEAK")) is None


def test_factories_have_no_default_tenant():
    from service.auth.roles import Role
    from tests import factories

    with pytest.raises(TypeError, match="association"):
        factories.make_user(Role.ASSOCIATION_STAFF)
    with pytest.raises(TypeError, match="federation"):
        factories.make_user(Role.FEDERATION_OFFICER)
    with pytest.raises(TypeError):
        factories.make_association()  # type: ignore[call-arg]
