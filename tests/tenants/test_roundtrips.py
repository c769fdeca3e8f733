"""Which statements may run before a transaction's BEGIN (tenants/roundtrips.py): reads that
lock, set and create nothing. Anything else, mistaken for a read, would run outside the
transaction it belongs to; a read mistaken for more only costs its BEGIN."""

import pytest

from tenants.roundtrips import _reads_only


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT member.id FROM member WHERE member.tenant_id = %(t)s",
        "  select 1",
        "(SELECT a FROM t) UNION (SELECT b FROM u)",
        "SELECT count(*) FROM member WHERE name LIKE %(like)s",
    ],
)
def test_a_plain_select_reads_only(statement):
    assert _reads_only(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO member (name) VALUES (%(name)s)",
        "UPDATE member SET name = %(name)s",
        "DELETE FROM member",
        "SAVEPOINT sa_savepoint_1",
        "WITH moved AS (DELETE FROM t RETURNING *) SELECT * FROM moved",
        "SELECT member.id FROM member FOR UPDATE",
        "SELECT member.id FROM member FOR NO KEY UPDATE OF member",
        "SELECT id FROM member FOR SHARE",
        "SELECT id FROM member FOR KEY SHARE",
        "SELECT set_config('app.tenant_ids', %s, true)",
        "SELECT nextval('member_id_seq')",
        "SELECT pg_advisory_xact_lock(42)",
        "SELECT pg_try_advisory_xact_lock(42)",
        "SELECT * INTO copied FROM member",
        "LOCK TABLE member",
        "COPY member TO STDOUT",
    ],
)
def test_anything_more_begins_the_transaction_first(statement):
    assert not _reads_only(statement)
