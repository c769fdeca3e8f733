"""Data at province or nation scale for the benchmarks: deterministic from a seed, loaded in
bulk (COPY on PostgreSQL when the role may, multi-row INSERT otherwise), never through the
ORM row by row. Bulk rows skip the ORM's audit hook on purpose: they are generated, not
anyone's action, and the audit log of a benchmark database is not the thing measured."""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from service.activities.models import (
    COUNT_FIELDS,
    SUBTYPES,
    Activity,
    ActivityStatus,
    AudienceGroup,
    SpeakerKind,
    Task,
)
from service.associations.models import AssociationProfile, Category
from service.federation import categories
from service.members.models import (
    GroupMember,
    GroupMemberKind,
    Member,
    MemberChange,
    MemberStatus,
    MemberStatusChange,
)
from tenants.db import db
from tenants.models import Association, Federation

# Members per association by category, as a (low, high) range; research universities have
# the most S&T workers, vocational colleges the fewest.
MEMBERS_BY_CATEGORY = {
    Category.RESEARCH: (2600, 4200),
    Category.TEACHING_RESEARCH: (1500, 2500),
    Category.APPLIED: (900, 1700),
    Category.VOCATIONAL: (500, 1100),
    Category.PRIVATE: (400, 900),
}
CATEGORY_SHARES = (
    (Category.RESEARCH, 0.15),
    (Category.TEACHING_RESEARCH, 0.25),
    (Category.APPLIED, 0.30),
    (Category.VOCATIONAL, 0.25),
    (Category.PRIVATE, 0.05),
)
TITLES = ("intermediate", "associate_senior", "senior", "none")
DEPARTMENTS = ("物理学院", "化学学院", "计算机学院", "医学院", "机械工程学院", "经济学院")
GROUP_KINDS = (
    GroupMemberKind.UNDERGRADUATE,
    GroupMemberKind.GRADUATE,
    GroupMemberKind.YOUNG_TEACHER,
    GroupMemberKind.DEPARTMENT,
)
# Activities a year by category, as a (low, high) range, and the tasks' shares of them.
ACTIVITIES_BY_CATEGORY = {
    Category.RESEARCH: (90, 150),
    Category.TEACHING_RESEARCH: (60, 100),
    Category.APPLIED: (35, 70),
    Category.VOCATIONAL: (20, 45),
    Category.PRIVATE: (15, 35),
}
TASK_SHARES = (
    (Task.ACADEMIC, 0.35),
    (Task.POPULARISATION, 0.30),
    (Task.TALENT, 0.10),
    (Task.INTEGRITY, 0.10),
    (Task.STUDENT_PRACTICE, 0.15),
)
# Every column a generated activity fills (COPY takes the columns of the first row).
EMPTY_ACTIVITY = dict.fromkeys(COUNT_FIELDS, 0) | dict.fromkeys(
    ("countries", "speaker_kind", "speaker_name", "audience_group"), None
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


@dataclass(frozen=True)
class Scale:
    federations: int
    associations: int
    # Multiplies MEMBERS_BY_CATEGORY (average about 1,620) to reach the totals of issue 9.
    member_factor: float = 1.0


SCALES = {
    "province": Scale(federations=1, associations=150, member_factor=1.23),
    "nation": Scale(federations=31, associations=3000, member_factor=0.62),
    # For tests and quick runs.
    "tiny": Scale(federations=2, associations=6, member_factor=0.01),
}


@dataclass
class Report:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    association_ids: list[int] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return sum(self.rows.values()) / self.seconds if self.seconds else 0.0


def generate(
    scale: Scale,
    seed: int = 1,
    code_prefix: str = "S",
    first_size: int | None = None,
    through: date | None = None,
) -> Report:
    """Load `scale` into the database in the current (system-scoped) session; caller commits.
    `first_size` pins the first association's members, to compare one tenant across scales.
    Activities cover the year of `through` (today by default) up to that day, and the year
    before; the same seed and day give the same rows."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data, the same from the same seed
    started = time.perf_counter()
    report = Report()
    conn = db.session.connection()
    federation_ids = _federations(conn, scale, code_prefix)
    for federation_id in federation_ids:
        categories.seed_defaults(federation_id)
    report.rows["federation"] = len(federation_ids)
    plan = [
        (federation_ids[i % len(federation_ids)], _category(rng), i)
        for i in range(scale.associations)
    ]
    report.association_ids = _associations(conn, plan, code_prefix)
    report.rows["association"] = len(plan)
    chosen = [category for _fed, category, _i in plan]
    report.rows["association_profile"] = bulk_load(
        conn, AssociationProfile.__table__, _profiles(report.association_ids, chosen)
    )
    sizes = [_size(rng, category, scale.member_factor) for category in chosen]
    if first_size is not None:
        sizes[0] = first_size
    report.rows["member"] = bulk_load(
        conn, Member.__table__, _members(rng, report.association_ids, sizes)
    )
    report.rows["member_status_change"] = _joinings(conn, report.association_ids)
    report.rows["group_member"] = bulk_load(
        conn, GroupMember.__table__, _groups(report.association_ids, sizes)
    )
    report.rows["activity"] = bulk_load(
        conn,
        Activity.__table__,
        _activities(rng, report.association_ids, chosen, through or date.today()),
    )
    report.seconds = time.perf_counter() - started
    return report


def bulk_load(conn: Connection, table: sa.Table, rows: Iterable[dict]) -> int:
    """Insert `rows` (dicts with the same keys) into `table`; returns how many."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    columns = list(first)
    if _may_copy(conn):
        return _copy(conn, table, columns, itertools.chain([first], rows))
    count = 0
    for chunk in _chunks(itertools.chain([first], rows), 5000):
        conn.execute(table.insert(), chunk)
        count += len(chunk)
    return count


def _may_copy(conn: Connection) -> bool:
    """COPY FROM is refused on tables with row-level security unless the role bypasses it."""
    if conn.dialect.name != "postgresql":
        return False
    return bool(
        conn.scalar(
            sa.text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        )
    )


def _copy(conn: Connection, table: sa.Table, columns: list[str], rows: Iterable[dict]) -> int:
    cursor = conn.connection.driver_connection.cursor()
    # COPY takes text: JSON columns get their JSON, as the ORM's INSERT would send.
    as_json = {c for c in columns if isinstance(table.c[c].type, sa.JSON)}
    count = 0
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[c]) if c in as_json and row[c] is not None else row[c]
                    for c in columns
                ]
            )
            count += 1
    return count


def _federations(conn: Connection, scale: Scale, prefix: str) -> list[int]:
    rows = [
        {"code": f"{prefix}{i:03d}", "name": f"第{i + 1}省科学技术协会", "province": f"第{i + 1}省"}
        for i in range(scale.federations)
    ]
    table = Federation.__table__
    conn.execute(table.insert(), [r | {"created_at": datetime(2020, 1, 1)} for r in rows])
    codes = [r["code"] for r in rows]
    found = dict(
        conn.execute(sa.select(table.c.code, table.c.id).where(table.c.code.in_(codes))).all()
    )
    return [found[c] for c in codes]


def _associations(conn: Connection, plan: list, prefix: str) -> list[int]:
    table = Association.__table__
    rows = [
        {
            "federation_id": fed,
            "name": f"{prefix}{i:05d}大学科学技术协会",
            "status": "active",
            "created_at": datetime(2020, 1, 1),
        }
        for fed, _category, i in plan
    ]
    conn.execute(table.insert(), rows)
    names = [r["name"] for r in rows]
    found: dict[str, int] = {}
    for chunk in _chunks(iter(names), 1000):
        found |= dict(
            conn.execute(sa.select(table.c.name, table.c.id).where(table.c.name.in_(chunk))).all()
        )
    return [found[n] for n in names]


def _profiles(ids: list[int], categories: list[Category]) -> Iterator[dict]:
    for tenant_id, category in zip(ids, categories, strict=True):
        yield {
            "tenant_id": tenant_id,
            "university_name": f"大学{tenant_id:05d}",
            "category": category.value,
            "founded_on": date(2015, 5, 30),
            "updated_at": datetime(2020, 1, 1),
        }


def _members(rng: random.Random, ids: list[int], sizes: list[int]) -> Iterator[dict]:
    for tenant_id, size in zip(ids, sizes, strict=True):
        for n in range(size):
            title = TITLES[rng.randrange(len(TITLES))]
            yield {
                "tenant_id": tenant_id,
                "name": SURNAMES[rng.randrange(20)] + GIVEN[rng.randrange(20)],
                "gender": "male" if rng.random() < 0.6 else "female",
                "birth_year": rng.randint(1960, 1998),
                "department": DEPARTMENTS[n % len(DEPARTMENTS)],
                "title": title,
                "phone": f"139{tenant_id % 10000:04d}{n:04d}",
                "in_cast_society": title == "none",
                "exception_reason": None,
                "joined_on": date(2018 + n % 8, 1 + n % 12, 1),
                "status": MemberStatus.ACTIVE.value,
                "named_upward": False,
                "created_at": datetime(2024, 1, 1),
            }


def _joinings(conn: Connection, ids: list[int]) -> int:
    """Every loaded member's "joined" row, which the statistics count from."""
    member = Member.__table__
    joined = sa.select(
        member.c.tenant_id,
        member.c.id,
        sa.literal(MemberChange.JOINED.value),
        sa.literal(MemberStatus.ACTIVE.value),
        member.c.joined_on,
    ).where(member.c.tenant_id.in_(ids))
    columns = ["tenant_id", "member_id", "change", "status", "changed_on"]
    insert = sa.insert(MemberStatusChange.__table__).from_select(columns, joined)
    return conn.execute(insert).rowcount


def _groups(ids: list[int], sizes: list[int]) -> Iterator[dict]:
    for tenant_id, size in zip(ids, sizes, strict=True):
        for kind in GROUP_KINDS:
            yield {
                "tenant_id": tenant_id,
                "name": f"{kind.value}-{tenant_id}",
                "kind": kind.value,
                "member_count": size // 10,
                "status": "active",
                "joined_on": date(2024, 1, 1),
                "created_at": datetime(2024, 1, 1),
            }


def _activities(
    rng: random.Random, ids: list[int], chosen: list[Category], through: date
) -> Iterator[dict]:
    tasks, shares = zip(*TASK_SHARES, strict=True)
    for tenant_id, category in zip(ids, chosen, strict=True):
        for year in (through.year - 1, through.year):
            last = through if year == through.year else date(year, 12, 31)
            days = (last - date(year, 1, 1)).days
            low, high = ACTIVITIES_BY_CATEGORY[category]
            count = rng.randint(low, high) * (days + 1) // 365
            for n in range(count):
                task = rng.choices(tasks, shares)[0]
                starts = date(year, 1, 1) + timedelta(days=rng.randint(0, days))
                yield _activity(rng, tenant_id, task, starts, min(last, starts), n)


def _activity(
    rng: random.Random, tenant_id: int, task: Task, starts: date, ends: date, n: int
) -> dict:
    subtype = rng.choice(list(SUBTYPES[task]))
    held = datetime.combine(ends, datetime.min.time())
    reported = rng.random() < 0.7
    row = EMPTY_ACTIVITY | {
        "tenant_id": tenant_id,
        "task": task.value,
        "subtype": subtype,
        "title": f"{subtype}-{tenant_id}-{starts:%Y}-{n}",
        "starts_on": starts,
        "ends_on": ends,
        "place": DEPARTMENTS[n % len(DEPARTMENTS)],
        "visibility": "federation" if n % 3 == 0 else "private",
        "status": (ActivityStatus.REPORTED if reported else ActivityStatus.HELD).value,
        "events": 1,
        "held_at": held,
        "reported_at": held if reported else None,
        "created_by": "seed-scale",
        "created_at": held,
        "updated_at": held,
    }
    return row | _figures(rng, task, subtype)


def _figures(rng: random.Random, task: Task, subtype: str) -> dict:
    """Plausible figures for one activity: speakers never outnumber participants."""
    if task is Task.ACADEMIC:
        speakers = rng.randint(1, 12)
        foreign = rng.randint(2, 30) if subtype == "international" else 0
        return {
            "speakers": speakers,
            "participants": speakers + rng.randint(20, 300),
            "papers": rng.randint(0, 20),
            "foreign_participants": foreign,
            "countries": ["DE", "JP", "US"][: rng.randint(1, 3)] if foreign else None,
        }
    if task is Task.POPULARISATION:
        volunteers = rng.randint(0, 40)
        venues = rng.randint(1, 3) if subtype in ("open_lab", "museum_base") else 0
        return {
            "audience": rng.randint(50, 2000),
            "volunteers": volunteers,
            "volunteer_hours": volunteers * rng.randint(2, 8),
            "venues_opened": venues,
            "venue_visitors": venues * rng.randint(50, 600),
        }
    if task is Task.TALENT:
        mentors = rng.randint(1, 15) if subtype == "mentoring" else 0
        return {
            "participants": rng.randint(10, 200),
            "mentors": mentors,
            "mentees": mentors * rng.randint(1, 4),
            "talents_selected": rng.randint(1, 10) if subtype == "young_talent" else 0,
        }
    if task is Task.INTEGRITY:
        return {
            "speaker_kind": rng.choice(list(SpeakerKind)).value,
            "speaker_name": SURNAMES[rng.randrange(20)] + "教授",
            "audience_group": rng.choice(list(AudienceGroup)).value,
            "audience": rng.randint(50, 500),
        }
    secondary = subtype in ("youth_science_camp", "high_school_talent")
    return {
        "participants": rng.randint(10, 200),
        "projects": rng.randint(0, 20),
        "secondary_students": rng.randint(10, 60) if secondary else 0,
        "mentors": rng.randint(2, 10) if secondary else 0,
    }


def _category(rng: random.Random) -> Category:
    return rng.choices([c for c, _ in CATEGORY_SHARES], [w for _, w in CATEGORY_SHARES])[0]


def _size(rng: random.Random, category: Category, factor: float) -> int:
    low, high = MEMBERS_BY_CATEGORY[category]
    return max(1, round(rng.randint(low, high) * factor))


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
