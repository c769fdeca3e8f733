"""members: listed in pinyin order from an index; PostgreSQL orders names by ICU's pinyin

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-30 15:30:00

A member list (the web page, the API's pages) is ordered by name in pinyin, then id. On
PostgreSQL that order was the names' GB18030 bytes, computed for every member of the
association and sorted on each page read (the 2,000 members of a large association, to
return 50), and only the 6,763 hanzi of GB2312 came in pinyin order: a name with 喆 or 堃
sorted ahead of 阿. Now a collation `pinyin` (ICU's Chinese pinyin order, digits and Latin
letters first, case-insensitive at first glance, as Excel's pinyin sort) orders them, and an
index on (tenant_id, name in that collation, id) over the members not erased serves the
order: a page is read from the index instead of sorting the association's members. SQLite
has the same-named collation (`service.sorting`, by pypinyin), registered on every
connection the service opens, and the same index.

PostgreSQL must be built with ICU (Debian's, Red Hat's and the official images are); on
Citus the collation reaches the workers with the table whose index needs it (deploy/SCALE.md).
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

# Digits, then Latin letters, then hanzi by pinyin (ICU's Chinese order puts hanzi first).
ICU_LOCALE = "zh-u-co-pinyin-kr-digit-latn"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE COLLATION IF NOT EXISTS pinyin (provider = icu, locale = '{ICU_LOCALE}')"
        )
    op.create_index(
        "ix_member_tenant_pinyin",
        "member",
        ["tenant_id", sa.text("name COLLATE pinyin"), "id"],
        postgresql_where=sa.text("erased_at IS NULL"),
        sqlite_where=sa.text("erased_at IS NULL"),
    )


def downgrade():
    op.drop_index("ix_member_tenant_pinyin", table_name="member")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP COLLATION IF EXISTS pinyin")
