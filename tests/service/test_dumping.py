"""The API's dumping plan (service/dumping.py) reads database rows as marshmallow reads
them (by name, through getattr), by position once per result: the same JSON as marshmallow's
own dump, and as the objects' dump, even for rows of two results whose columns differ."""

import sqlalchemy as sa
from flask import g

from service import dumping
from service.auth.principal import ANONYMOUS
from service.members.models import Member
from service.members.schemas import MemberSchema
from tenants.db import db
from tenants.scope import Scope, use_scope

COLUMNS = [
    getattr(Member, c.key)
    for c in Member.__table__.c
    if c.key in dumping.dumped_attributes(MemberSchema)
]


def test_rows_dump_as_marshmallow_and_as_the_objects_do(world, app):
    tenant = world.a.first
    with app.test_request_context(), use_scope(Scope.association(tenant.association.id)):
        g.principal = ANONYMOUS  # contacts masked, as for a read-only token
        members = db.session.scalars(sa.select(Member).order_by(Member.id)).all()
        forward = db.session.execute(sa.select(*COLUMNS).order_by(Member.id)).all()
        backward = db.session.execute(sa.select(*reversed(COLUMNS)).order_by(Member.id)).all()
        planned = dumping.fast_dumping(MemberSchema(many=True))
        mixed = [forward[0], backward[1], forward[1], backward[0]]
        assert len(members) >= 2
        assert planned.dump(forward) == MemberSchema(many=True).dump(forward)
        assert planned.dump(forward) == planned.dump(members) == planned.dump(backward)
        assert planned.dump(mixed) == MemberSchema(many=True).dump(mixed)
        assert [m["id"] for m in planned.dump(mixed)] == [
            members[0].id,
            members[1].id,
            members[1].id,
            members[0].id,
        ]
