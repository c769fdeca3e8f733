"""10,000 members from one xlsx: our whole import (parse, validate every row, check
duplicates against the database, write) against openpyxl's read-only parse of the same file,
which no import can beat. Reported as a ratio, measured side by side in one run."""

from __future__ import annotations

import io
import time

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from service.members import importing
from service.members.models import Member
from service.members.tabular import COLUMNS
from tenants.db import db
from tenants.scope import Scope, use_scope
from tests.perf.conftest import write_result

ROWS = 10_000


def _workbook(rows: int) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([c.header for c in COLUMNS])
    titles = ["中级", "副高级", "正高级"]
    for i in range(rows):
        sheet.append(
            [
                f"会员{i:05d}",
                "女" if i % 2 else "男",
                1970 + i % 30,
                "物理学院",
                "物理学",
                titles[i % 3],
                "教授",
                f"139{i:08d}",
                f"m{i}@example.edu.cn",
                "中国物理学会",
                "是" if i % 4 == 0 else "否",
                "",
                "2024-09-01",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _floor(content: bytes) -> float:
    start = time.perf_counter()
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    assert count == ROWS + 1
    return time.perf_counter() - start


def test_import_10k_members_against_the_parse_floor(app, world):
    content = _workbook(ROWS)
    tenant = world.b.second.association.id
    floor = min(_floor(content) for _ in range(2))
    with app.test_request_context(), use_scope(Scope.association(tenant)):
        upload = importing.start_import("10k.xlsx", content, "bench")
        db.session.commit()
        start = time.perf_counter()
        status = importing.run_import(upload.id)
        elapsed = time.perf_counter() - start
        imported = db.session.scalar(sa.select(sa.func.count(Member.id)))
    assert status == "done"
    assert imported >= ROWS
    ratio = elapsed / floor
    write_result(
        "member_import_10k",
        {
            "rows": ROWS,
            "import_seconds": round(elapsed, 3),
            "parse_floor_seconds": round(floor, 3),
            "ratio": round(ratio, 2),
            "target_ratio": 3.0,
        },
        f"member import, {ROWS} rows: {elapsed:.2f} s; openpyxl read-only parse {floor:.2f} s; "
        f"ratio {ratio:.2f} (target 3 or less)",
    )
