"""The national API (granted federations only, ETag, pagination, catalogue), the report
status API, and the push to a national receiver that fails twice before accepting."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sqlalchemy as sa

from service.reporting import indicators, jobs, push, services
from service.reporting.models import FederationRollup, NationalEndpoint, PushOutbox
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests import factories


def _bearer(token) -> dict:
    return {"Authorization": f"Bearer {token[1]}"}


def test_the_national_token_reads_only_its_granted_federations(world, client):
    headers = _bearer(world.national_a)
    listed = client.get("/api/v1/national/federations", headers=headers).get_json()
    assert [f["id"] for f in listed] == [world.a.federation.id]
    own = client.get(
        f"/api/v1/national/federations/{world.a.federation.id}/rollups/2025", headers=headers
    )
    assert own.status_code == 200 and own.get_json()["version"] == 1
    for path in ("rollups/2025", "reports"):
        foreign = client.get(
            f"/api/v1/national/federations/{world.b.federation.id}/{path}", headers=headers
        )
        assert foreign.status_code == 404


def test_another_federations_national_token_sees_nothing_of_this_one(world, client):
    with system_scope("test: a national token for province b only"):
        token = factories.make_token("national", federations=[world.b.federation])
        db.session.commit()
    response = client.get(
        f"/api/v1/national/federations/{world.a.federation.id}/reports", headers=_bearer(token)
    )
    assert response.status_code == 404


def test_approved_reports_carry_figures_and_no_personal_data(world, client):
    response = client.get(
        f"/api/v1/national/federations/{world.a.federation.id}/reports?year=2025&page_size=1",
        headers=_bearer(world.national_a),
    )
    body = response.get_json()
    assert len(body) == 1 and json.loads(response.headers["X-Pagination"])["total"] == 2
    assert set(body[0]) == {"association_id", "association", "year", "version", "hash", "figures"}
    assert set(body[0]["figures"]) == {i.code for i in indicators.CATALOGUE}
    text = response.get_data(as_text=True)
    assert "张伟" not in text and "@example.edu.cn" not in text


def test_an_unchanged_answer_is_304_with_its_etag(world, client):
    headers = _bearer(world.national_a)
    first = client.get("/api/v1/national/indicators?page_size=50", headers=headers)
    assert len(first.get_json()) == len(indicators.CATALOGUE)
    etag = first.headers["ETag"]
    again = client.get(
        "/api/v1/national/indicators?page_size=50", headers={**headers, "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.data == b""


def test_the_openapi_documents_the_national_api_with_examples(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    rollup = spec["paths"]["/api/v1/national/federations/{federation_id}/rollups/{year}"]["get"]
    assert rollup["responses"]["200"]["content"]["application/json"]["example"]["figures"]


def test_the_report_status_api_lists_only_the_callers_reports(world, client):
    tenant = world.a.first
    rows = client.get("/api/v1/reporting/reports", headers=_bearer(tenant.tokens["ro"])).get_json()
    assert [(r["association_id"], r["status"]) for r in rows] == [
        (tenant.association.id, "approved")
    ]
    federation = client.get(
        "/api/v1/reporting/reports?year=2025", headers=_bearer(world.a.tokens["ro"])
    ).get_json()
    assert {r["association_id"] for r in federation} == {
        tenant.association.id,
        world.a.second.association.id,
    }


class _Receiver(BaseHTTPRequestHandler):
    """A national receiver that fails twice, then accepts; it remembers every key."""

    failures_left = 2
    accepted: list[tuple[str, dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if _Receiver.failures_left:
            _Receiver.failures_left -= 1
            self.send_response(503)
        else:
            keys = [key for key, _ in _Receiver.accepted]
            if self.headers["Idempotency-Key"] not in keys:
                _Receiver.accepted.append((self.headers["Idempotency-Key"], body))
            self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.failures_left, _Receiver.accepted = 2, []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/rollups"
    server.shutdown()


def test_a_push_that_fails_twice_lands_exactly_once(world, receiver):
    federation_id = world.a.federation.id
    with use_scope(Scope.federation(federation_id)):
        endpoint = db.session.scalar(
            sa.select(NationalEndpoint).where(NationalEndpoint.federation_id == federation_id)
        )
        endpoint.url, endpoint.secret = receiver, "s3cret"
        rollup = services.compile_rollup(federation_id, 2025)
        assert rollup.version == 2  # the world's version 1 is locked already
        outbox_id = services.lock_rollup(rollup, "test").id
        digest = rollup.locked_hash
        db.session.commit()
        for _ in range(2):
            with pytest.raises(push.PushFailed):
                jobs.deliver(outbox_id)
        assert jobs.deliver(outbox_id) == "delivered"
        assert jobs.deliver(outbox_id) == "delivered"  # re-run by RQ: nothing is sent again
        outbox = db.session.get(PushOutbox, outbox_id)
        assert [a["status"] for a in outbox.attempts] == [503, 503, 201]
    assert [key for key, _ in _Receiver.accepted] == [digest]
    assert _Receiver.accepted[0][1]["figures"] == rollup_figures(federation_id)


def rollup_figures(federation_id: int) -> dict:
    with use_scope(Scope.federation(federation_id)):
        return db.session.scalars(
            sa.select(FederationRollup.figures)
            .where(FederationRollup.federation_id == federation_id)
            .order_by(FederationRollup.version.desc())
        ).first()


def test_the_federation_sees_every_attempt(world, client):
    from service.auth.roles import Role

    with use_scope(Scope.federation(world.a.federation.id)), pytest.raises(push.PushFailed):
        jobs.deliver(world.a.reporting["outbox_id"])  # the world's endpoint refuses connections
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    page = client.get("/reporting/endpoint").get_data(as_text=True)
    assert "pending" in page and page.count('<li class="attempt">') == 1
    other = client.login_as(world.b.users[Role.FEDERATION_OFFICER]).get("/reporting/endpoint")
    assert '<li class="attempt">' not in other.get_data(as_text=True)
