"""The national push: the federation's endpoint, the outbox of locked roll-ups, and one
attempt at sending one, kept on its outbox row. The jobs that deliver (retried with backoff
by RQ and by the periodic sweep) are in `jobs`."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta

import sqlalchemy as sa
from rq import Retry

from service.access import in_scope
from service.errors import RuleBroken
from service.i18n import lazy_gettext as _l
from service.reporting.models import NationalEndpoint, PushOutbox, PushStatus
from tenants.db import db
from tenants.models import utcnow

BACKOFF = (30, 120, 600, 1800, 3600)  # seconds after the 1st, 2nd, ... failed attempt
TIMEOUT = 10
log = logging.getLogger(__name__)


class PushFailed(RuntimeError):
    """The receiver did not accept the push; RQ retries the job with backoff."""


# --- the endpoint ----------------------------------------------------------------------


def endpoint_of(federation_id: int) -> NationalEndpoint | None:
    """Where the federation's locked roll-ups are sent, if it has said."""
    return db.session.scalar(
        sa.select(NationalEndpoint).where(NationalEndpoint.federation_id == federation_id)
    )


def save_endpoint(federation_id: int, url: str, secret: str | None) -> NationalEndpoint:
    """Set the federation's endpoint; an empty secret keeps the one saved. Checked before
    anything is written: only http(s) addresses are sent to."""
    if not url.startswith(("http://", "https://")):
        raise RuleBroken(_l("The address must start with http:// or https://."), "url")
    endpoint = endpoint_of(federation_id) or NationalEndpoint(federation_id=federation_id)
    endpoint.url = url
    if secret:
        endpoint.secret = secret
    db.session.add(endpoint)
    return endpoint


# --- the outbox ------------------------------------------------------------------------


def access_outbox(outbox_id: int) -> PushOutbox:
    """A push of the scope's federations; NotFound for a missing one and another's alike."""
    return in_scope(PushOutbox, outbox_id)


def due() -> list[int]:
    """The scope's pending pushes whose backoff has passed, by id."""
    return list(
        db.session.scalars(
            sa.select(PushOutbox.id).where(
                PushOutbox.status == PushStatus.PENDING.value,
                PushOutbox.next_attempt_at <= utcnow(),
            )
        )
    )


def outbox_of(federation_id: int) -> list[PushOutbox]:
    """Every push of the federation, latest first, with its attempts."""
    return list(
        db.session.scalars(
            sa.select(PushOutbox)
            .where(PushOutbox.federation_id == federation_id)
            .order_by(PushOutbox.id.desc())
        )
    )


def outbox_by_rollup(federation_id: int) -> dict[int, PushOutbox]:
    """The federation's pushes by the roll-up they carry."""
    return {o.rollup_id: o for o in outbox_of(federation_id)}


def queue_delivery(outbox_id: int) -> None:
    """Queue the delivery for once the lock is committed. With the queue down the lock
    stands all the same: the outbox row is due now, so the periodic sweep delivers it."""
    from service.jobs import JobsUnavailable, enqueue

    try:
        enqueue(
            "service.reporting.jobs:deliver",
            outbox_id,
            retry=Retry(max=len(BACKOFF), interval=list(BACKOFF)),
        )
    except JobsUnavailable:
        log.warning("delivery of push %s not queued; the sweep sends it", outbox_id)


# --- one attempt -----------------------------------------------------------------------


def record_attempt(outbox: PushOutbox, status: int | None, error: str | None) -> None:
    """Keep an attempt on the outbox row: delivered on a 2xx, given up after the last
    backoff, else due again after the next one."""
    attempt = {"at": utcnow().isoformat(timespec="seconds"), "status": status, "error": error}
    outbox.attempts = [*outbox.attempts, attempt]
    if status is not None and 200 <= status < 300:
        outbox.status, outbox.delivered_at = PushStatus.DELIVERED.value, utcnow()
    elif len(outbox.attempts) > len(BACKOFF):
        outbox.status = PushStatus.GAVE_UP.value
    else:
        outbox.next_attempt_at = utcnow() + timedelta(seconds=BACKOFF[len(outbox.attempts) - 1])


def send(endpoint: NationalEndpoint | None, key: str, body: dict) -> tuple[int | None, str | None]:
    """POST the snapshot once: the HTTP status, or None and why it could not be sent."""
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
