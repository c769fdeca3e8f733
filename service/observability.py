"""What operators see of a running node: the client behind nginx, one JSON log line per
request, and Prometheus metrics at /metrics.

Logs and metrics carry ids only (request, user or token, tenant): never usernames, form
fields, query strings, tokens or personal data. Not even the client address: nginx's access
log has it, under the retention the operator sets for it. Every line goes through
service/redaction.py, so a secret that still reaches a URL (an old link) is not kept.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from ipaddress import ip_address

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from werkzeug.middleware.proxy_fix import ProxyFix

from service.redaction import redact

REQUEST_ID_HEADER = "X-Request-ID"
# A client's own request id is kept only if it looks like one, so logs cannot be forged.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Fields a log record may carry into the JSON line; anything else passed as `extra` is dropped.
LOG_FIELDS = (
    "request_id",
    "method",
    "path",
    "endpoint",
    "status",
    "duration_ms",
    "principal",
    "user_id",
    "token_id",
    "tenant_id",
    "federation_id",
)

REQUESTS = Counter(
    "kexie_http_requests_total", "HTTP requests by endpoint, method and status",
    ["endpoint", "method", "status"],
)  # fmt: skip
LATENCY = Histogram(
    "kexie_http_request_duration_seconds", "Time to answer a request, by endpoint",
    ["endpoint"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)  # fmt: skip

bp = Blueprint("observability", __name__)
log = logging.getLogger("kexie.request")


def install(app: Flask) -> None:
    """ProxyFix, JSON logging and the request hooks that feed logs and metrics."""
    hops = int(app.config.get("PROXY_FIX", 0))
    if hops:
        # Trust exactly `hops` proxies: the client address is the one nginx saw, and a
        # client cannot choose its own by sending X-Forwarded-For.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    _configure_logging(app.config.get("LOG_LEVEL", "INFO"))
    app.before_request(_start)
    app.after_request(_finish)
    app.register_blueprint(bp)


# --- request id and log line ------------------------------------------------------------


def request_id() -> str:
    return g.get("request_id", "-")


def _start() -> None:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    if endpoint != "static":
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        LATENCY.labels(endpoint).observe(elapsed)
    if not log.isEnabledFor(logging.INFO):  # LOG_LEVEL above INFO: no line to build
        return response
    path = redact(request.path)
    log.info(
        "%s %s %s",
        request.method,
        path,
        response.status_code,
        extra={
            "request_id": request_id(),
            "method": request.method,
            "path": path,  # no query string: it may hold search terms or names
            "endpoint": endpoint,
            "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 1),
            **_who(),
        },
    )
    return response


def _who() -> dict:
    principal = g.get("principal")
    if principal is None or not principal.is_authenticated:
        return {"principal": "anonymous"}
    if g.get("conceal_actor"):  # an anonymous submission: the line must not name its author
        return {"principal": "concealed"}
    who = {"principal": principal.kind, f"{principal.kind}_id": principal.id}
    if principal.association_id:
        who["tenant_id"] = principal.association_id
    if principal.federation_id:
        who["federation_id"] = principal.federation_id
    return who


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the whitelisted request fields; secrets redacted in
    whatever a line says, whoever logged it."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key in LOG_FIELDS:
            if hasattr(record, key):
                value = getattr(record, key)
                line[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def _configure_logging(level: str) -> None:
    # Our loggers ("kexie.*" and the app's "service") write JSON to stderr, once per process
    # however many apps the tests create.
    for name in ("kexie", "service"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonFormatter())
            logger.addHandler(handler)


# --- metrics ----------------------------------------------------------------------------


@bp.get("/metrics")
def metrics():
    if not _may_scrape():
        abort(404)  # as if there were no such page: do not advertise it
    registry = _scrape_registry()
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _may_scrape() -> bool:
    """With METRICS_TOKEN set, that bearer token; without it, loopback callers only."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        offered = request.headers.get("Authorization", "")
        return hmac.compare_digest(offered.encode(), f"Bearer {token}".encode())
    try:
        return ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _scrape_registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    # gunicorn workers each write their own counters to that folder; add them up.
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(QueueCollector())
    return registry


class QueueCollector:
    """Queue length and failed jobs, read from Redis at scrape time (shared by all nodes)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from redis import RedisError

        from service.jobs import QUEUES, queue

        length = GaugeMetricFamily("kexie_queue_jobs", "Jobs waiting in a queue", labels=["queue"])
        failed = GaugeMetricFamily(
            "kexie_queue_failed_jobs", "Jobs in a queue's failed registry", labels=["queue"]
        )
        up = GaugeMetricFamily("kexie_queue_up", "1 if the queue's Redis answered")
        ok = 1
        for name in QUEUES:
            try:
                q = queue(name)
                length.add_metric([name], q.count)
                failed.add_metric([name], q.failed_job_registry.count)
            except RedisError:
                ok = 0
        up.add_metric([], ok)
        yield from (length, failed, up)

    def describe(self) -> list:
        return []  # read at scrape time only, inside a request


if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    REGISTRY.register(QueueCollector())
