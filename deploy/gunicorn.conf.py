"""gunicorn settings for the web nodes: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be overridden from the environment (see deploy/env.example), so the same
file serves a systemd unit, a container and the proof script.
"""

import gc
import multiprocessing
import os
import shutil

from gunicorn.glogging import Logger

# gunicorn puts the checkout (its working directory) on sys.path before reading this file.
from service.redaction import redact

# Behind nginx on the same host or private network; never exposed directly.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: requests are short and database-bound; the classic (2 x cores) + 1.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "sync"

# A member import upload is parsed in a job, not in the request; 30 s is generous for a page.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Recycle workers now and then so a slow leak never becomes an outage.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))

# The app logs one JSON line per request itself (with request id, user and tenant);
# gunicorn's access log is kept for operators who want the classic format.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# No client address and no query string (personal data); nginx's log has the address.
access_log_format = '"%(m)s %(U)s" %(s)s %(b)s %(D)sus rid=%({x-request-id}i)s'


class RedactingLogger(Logger):
    """The access log through the app's redaction (service/redaction.py): a one-time token or
    tracking key in an old link's path, or a credential in a query string, is not kept,
    whatever atoms an operator adds to the format."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}


logger_class = RedactingLogger
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Load the app once in the master so workers fork with it (faster start, shared pages).
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
# nginx sets X-Forwarded-*; the app's ProxyFix (PROXY_FIX) decides how many hops to trust.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server) -> None:
    """Prometheus multi-process mode: each worker writes its metrics into this folder; it
    must start empty, or counters of an earlier run leak into this one."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def when_ready(server) -> None:
    """With the app preloaded, warm it before the first fork (service/warmup.py): workers,
    and those that replace the ones recycled after max_requests, start with the templates
    compiled and the pinyin dictionaries loaded. Then freeze what the master holds out of the
    garbage collector's reach: a worker's full collection walked those 300,000 objects
    (0.15 s a time, about once in a hundred requests, on whichever request was running)."""
    if server.cfg.preload_app:
        from service.warmup import warm

        server.log.info("warmed %d templates before forking", warm(server.app.wsgi()))
        gc.collect()
        gc.freeze()


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
