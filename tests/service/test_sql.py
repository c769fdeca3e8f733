"""`one_of`: the same rows as an IN list, for no value, one and many, on either database."""

import sqlalchemy as sa

from service.sql import one_of
from tenants.db import db
from tenants.models import Association
from tenants.scope import system_scope


def test_one_of_reads_the_rows_an_in_list_reads(world):
    ids = [t.association.id for t in (world.a.first, world.a.second, world.b.first)]
    with system_scope("test: associations by id"):
        for chosen in ([], ids[:1], ids, [*ids, 10**12]):
            found = db.session.scalars(
                sa.select(Association.id).where(one_of(Association.id, chosen))
            ).all()
            listed = db.session.scalars(
                sa.select(Association.id).where(Association.id.in_(chosen))
            ).all()
            assert sorted(found) == sorted(listed) == sorted(set(chosen) & set(ids)), chosen


def test_on_postgresql_the_statement_sent_is_the_same_for_any_number_of_values(world):
    """One text for one value or a thousand: psycopg parses and prepares it once. (SQLite
    has no arrays: the IN list is sent, value by value.)"""
    sent: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append(statement)

    with system_scope("test: associations by id"):
        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            for values in ([1], list(range(1000))):
                db.session.execute(sa.select(Association.id).where(one_of(Association.id, values)))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
    texts = [t for t in sent if "FROM association" in t]
    assert len(texts) == 2
    assert (texts[0] == texts[1]) == (db.engine.dialect.name == "postgresql")
