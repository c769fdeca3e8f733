"""Issue 21, item 2: serialising a 50-member page costs no more than the query behind it.

The page's dump by marshmallow itself and by the API's plan (`service.dumping`), each with
its JSON text as Flask writes it, against the ORM query that fetches the page (the same
statement the API runs, as the app role under row-level security). Wall-clock p50 over
alternating runs, and CPU time per call: on a machine shared with other work the CPU time
is the steadier figure."""

from __future__ import annotations

import os
import time

from flask import g

from service import dumping, scale
from service.auth.principal import Principal
from service.auth.roles import TOKEN_PERMISSIONS, Level
from service.members import services
from service.members.schemas import MemberSchema
from tenants.db import db
from tenants.scope import Scope, use_scope
from tests.perf.conftest import write_result
from tests.perf.scale_db import needs_postgres, scale_database
from tests.perf.timing import alternate

RUNS = int(os.environ.get("BENCH_RUNS", "300"))
# The measured association has its 2,000 members at every scale; ten associations suffice.
SMALL = scale.Scale(federations=1, associations=10, member_factor=1.23)


def _cpu_ms(call, runs: int) -> float:
    call()
    started = time.process_time()
    for _ in range(runs):
        call()
    return round((time.process_time() - started) * 1000 / runs, 3)


def test_a_page_serialises_in_less_than_its_query():
    needs_postgres()
    with scale_database(SMALL) as data, data.app.test_request_context():
        association = Scope.association(data.association_id)
        permissions = TOKEN_PERMISSIONS[(Level.ASSOCIATION, False)]
        g.principal = Principal("token", 0, "bench", association, permissions, read_only=True)
        with use_scope(association):
            page = services.members_query(None, None, None).limit(50).offset(300)
            rows = db.session.scalars(page).all()
            plain, planned = MemberSchema(many=True), dumping.fast_dumping(MemberSchema(many=True))
            assert planned.dump(rows) == plain.dump(rows)
            to_json = data.app.json.dumps

            def query() -> None:
                db.session.expunge_all()  # every run loads its rows, as a request does
                db.session.scalars(page).all()

            calls = {
                "query": query,
                "marshmallow": lambda: to_json(plain.dump(rows)),
                "planned": lambda: to_json(planned.dump(rows)),
            }
            wall = alternate(RUNS, **calls)
            cpu = {name: _cpu_ms(call, RUNS) for name, call in calls.items()}
    ratios = {
        name: round(wall[name]["p50_ms"] / wall["query"]["p50_ms"], 2)
        for name in ("marshmallow", "planned")
    }
    cpu_ratios = {name: round(cpu[name] / cpu["query"], 2) for name in ("marshmallow", "planned")}
    write_result(
        "serialisation",
        {"wall": wall, "cpu_ms": cpu, "ratios_p50": ratios, "ratios_cpu": cpu_ratios},
        f"serialising a 50-member page, with its JSON text, against the query behind it (p50 "
        f"over {RUNS} alternating runs; CPU ms per call beside it):\n"
        f"- the query: {wall['query']['p50_ms']} ms ({cpu['query']} ms CPU)\n"
        f"- marshmallow's dump: {wall['marshmallow']['p50_ms']} ms ({cpu['marshmallow']} ms "
        f"CPU); ratio {ratios['marshmallow']} (CPU {cpu_ratios['marshmallow']})\n"
        f"- the API's planned dump: {wall['planned']['p50_ms']} ms ({cpu['planned']} ms CPU); "
        f"ratio {ratios['planned']} (CPU {cpu_ratios['planned']}) (target 1 or less)",
    )
