"""Deliver locked roll-ups to the federation's national endpoint: one attempt per call,
each kept on the outbox row; retried with backoff by RQ and by the periodic sweep."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

import sqlalchemy as sa
from rq import Retry

from service import jobs
from service.reporting.models import (
    FederationRollup,
    NationalEndpoint,
    PushOutbox,
    PushStatus,
)
from service.reporting.services import snapshot
from tenants.access import find_in_scope
from tenants.db import db
from tenants.models import utcnow
from tenants.scope import system_scope

BACKOFF = (30, 120, 600, 1800, 3600)  # seconds after the 1st, 2nd, ... failed attempt
TIMEOUT = 10


class PushFailed(RuntimeError):
    """The receiver did not accept the push; RQ retries the job with backoff."""


def enqueue_delivery(outbox_id: int) -> None:
    jobs.enqueue(deliver, outbox_id, retry=Retry(max=len(BACKOFF), interval=list(BACKOFF)))


def deliver(outbox_id: int) -> str:
    """One attempt. A delivered push is never sent again; an attempt is recorded whatever
    happens, so the federation sees every one."""
    outbox = find_in_scope(PushOutbox, outbox_id)
    if outbox is None or outbox.status != PushStatus.PENDING:
        return outbox.status if outbox else "missing"
    endpoint = db.session.scalar(
        sa.select(NationalEndpoint).where(NationalEndpoint.federation_id == outbox.federation_id)
    )
    rollup = db.session.get(FederationRollup, outbox.rollup_id)
    status, error = _post(endpoint, outbox.idempotency_key, snapshot(rollup))
    attempt = {"at": utcnow().isoformat(timespec="seconds"), "status": status, "error": error}
    outbox.attempts = [*outbox.attempts, attempt]
    if status is not None and 200 <= status < 300:
        outbox.status, outbox.delivered_at = PushStatus.DELIVERED.value, utcnow()
    elif len(outbox.attempts) > len(BACKOFF):
        outbox.status = PushStatus.GAVE_UP.value
    else:
        outbox.next_attempt_at = utcnow() + timedelta(seconds=BACKOFF[len(outbox.attempts) - 1])
    db.session.commit()
    if outbox.status == PushStatus.PENDING:
        raise PushFailed(error or f"HTTP {status}")
    return outbox.status


def _post(endpoint: NationalEndpoint | None, key: str, body: dict) -> tuple[int | None, str | None]:
    if endpoint is None:
        return None, "no national endpoint is configured"
    headers = {"Content-Type": "application/json", "Idempotency-Key": key}
    if endpoint.secret:
        headers["Authorization"] = f"Bearer {endpoint.secret}"
    data = json.dumps({"hash": key, **body}, ensure_ascii=False).encode("utf-8")
    # The URL was checked to be http(s) when the federation configured it.
    request = urllib.request.Request(endpoint.url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return response.status, None
    except urllib.error.HTTPError as refused:
        return refused.code, refused.reason
    except (urllib.error.URLError, OSError) as unreachable:
        return None, str(getattr(unreachable, "reason", unreachable))[:200]


def deliver_due() -> int:
    """The periodic sweep: every pending push whose backoff has passed, once more."""
    with system_scope("reporting: deliver due national pushes"):
        due = db.session.scalars(
            sa.select(PushOutbox.id).where(
                PushOutbox.status == PushStatus.PENDING.value,
                PushOutbox.next_attempt_at <= utcnow(),
            )
        ).all()
        for outbox_id in due:
            try:
                deliver(outbox_id)
            except PushFailed:
                continue
    return len(due)
