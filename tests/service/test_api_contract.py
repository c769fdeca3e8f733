"""The API's documented contract for reads holds whatever makes serialising fast (issue 21,
item 2): the OpenAPI document of every GET operation, with every schema it refers to, is
the one recorded in api_contract/openapi_reads.json; and every GET of the API answers the
very bytes marshmallow's own dump of its response schema gives (field names, types, nulls,
dates, Chinese text escaped as Flask's JSON provider escapes it).

After a deliberate change of the read contract, record it again with
`UPDATE_API_CONTRACT=1 .venv/bin/python -m pytest tests/service/test_api_contract.py`.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from service import dumping
from tenants.db import db
from tenants.scope import Scope, use_scope
from tests.factories.members import make_member
from tests.service.test_isolation_matrix import ROUTES, _api_caller, _call, _own_id

RECORDED = Path(__file__).parent / "api_contract" / "openapi_reads.json"


def _referenced(node, found: set[tuple[str, str]]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            _kind, _sep, rest = ref.removeprefix("#/components/").partition("/")
            found.add((_kind, rest))
        for value in node.values():
            _referenced(value, found)
    elif isinstance(node, list):
        for value in node:
            _referenced(value, found)


def reads_of(spec: dict) -> dict:
    """The GET operations of `spec` and every component they refer to, however deep."""
    paths = {path: {"get": ops["get"]} for path, ops in spec["paths"].items() if "get" in ops}
    wanted: set[tuple[str, str]] = set()
    _referenced(paths, wanted)
    components: dict[str, dict] = {}
    seen: set[tuple[str, str]] = set()
    while wanted - seen:
        kind, name = (wanted - seen).pop()
        seen.add((kind, name))
        component = spec["components"][kind][name]
        components.setdefault(kind, {})[name] = component
        _referenced(component, wanted)
    return {"paths": paths, "components": components}


def test_the_openapi_document_of_every_read_is_unchanged(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    reads = reads_of(response.json)
    if os.environ.get("UPDATE_API_CONTRACT") == "1":
        RECORDED.write_text(json.dumps(reads, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    assert len(reads["paths"]) > 30  # every list and read of the API, not a stray few
    assert reads == json.loads(RECORDED.read_text())


def _api_reads(app) -> list[tuple[str, str]]:
    return sorted(
        (endpoint, method)
        for (endpoint, method), route in ROUTES.items()
        if route.api and method == "GET"
    )


CALLERS = ["association-ro", "association-rw", "federation", "national"]


@pytest.mark.parametrize("who", CALLERS)
def test_every_read_answers_the_bytes_marshmallow_itself_would(app, world, client, who):
    caller = _api_caller(world, who)
    answered = 0
    for endpoint, method in _api_reads(app):
        route = ROUTES[(endpoint, method)]
        values = {param: _own_id(world, caller, param) for param in route.ids}
        fast = _call(client, app, endpoint, method, values, caller)
        with dumping.plain_marshmallow():
            plain = _call(client, app, endpoint, method, values, caller)
        assert fast.status_code == plain.status_code, endpoint
        assert fast.get_data() == plain.get_data(), endpoint
        assert fast.headers.get("X-Pagination") == plain.headers.get("X-Pagination"), endpoint
        answered += fast.status_code == 200 and fast.get_data() not in (b"[]\n", b"{}\n")
    assert answered >= 5  # records, not empty pages or refusals alone


def test_a_member_reads_as_documented_chinese_escaped_nulls_kept_dates_iso(world, client):
    tenant = world.a.first
    with use_scope(Scope.association(tenant.association.id)):
        member = make_member(
            tenant.association,
            name="欧阳晓",
            phone="13800009876",
            email=None,
            department=None,
            birth_year=1980,
            joined_on=date(2024, 9, 1),
        )
        member_id = member.id
        db.session.commit()
    headers = {"Authorization": f"Bearer {tenant.tokens['rw'][1]}"}
    one = client.get(f"/api/v1/members/{member_id}", headers=headers)
    page = client.get("/api/v1/members/?page_size=50", headers=headers)
    assert one.status_code == page.status_code == 200
    assert one.json == {
        "id": member_id,
        "name": "欧阳晓",
        "staff_number": None,
        "gender": None,
        "birth_year": 1980,
        "department": None,
        "discipline": None,
        "title": "intermediate",
        "position": None,
        "phone": "13800009876",
        "email": None,
        "societies": None,
        "in_cast_society": False,
        "exception_reason": None,
        "joined_on": "2024-09-01",
        "status": "active",
        "eligibility": "may_join",
    }
    body = one.get_data(as_text=True)
    # Flask's JSON provider as before: ASCII with escapes, keys sorted, no spaces.
    assert '"name":"\\u6b27\\u9633\\u6653"' in body
    assert list(json.loads(body)) == sorted(one.json)
    assert one.json in page.json
