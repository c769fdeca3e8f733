"""The deploy folder stays in step with the code an operator runs."""

from __future__ import annotations

import gc
import re
import runpy
import shutil
import subprocess
import weakref
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from service import create_app

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _settings_read_by(path: Path) -> set[str]:
    return set(re.findall(r"""env\.get\(\s*["']([A-Z_]+)["']""", path.read_text()))


def test_env_template_lists_every_setting_the_service_reads():
    template = (DEPLOY / "env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", template, re.MULTILINE))
    read = _settings_read_by(ROOT / "service/config.py")
    assert read, "config.py reads no settings?"
    assert read - listed == set(), "settings missing from deploy/env.example"


def test_gunicorn_config_takes_bind_and_workers_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:8123")
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert settings["bind"] == "127.0.0.1:8123"
    assert settings["workers"] == 3
    assert settings["timeout"] > 0 and settings["accesslog"] == "-"


def test_gunicorn_warms_the_preloaded_app_before_it_forks_and_opens_no_connection():
    """And freezes what it warmed out of the garbage collector's reach: a worker's full
    collection walks only what the worker made itself."""
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    environment = app.jinja_env
    pages = [name for name in environment.list_templates() if name.endswith(".html")]
    assert not any((weakref.ref(environment.loader), name) in environment.cache for name in pages)
    connections, logged = [], []
    server = SimpleNamespace(
        cfg=SimpleNamespace(preload_app=True),
        app=SimpleNamespace(wsgi=lambda: app),
        log=SimpleNamespace(info=lambda *args: logged.append(args[0] % args[1:])),
    )

    def connected(*args) -> None:
        connections.append(args)

    sa.event.listen(sa.Engine, "connect", connected)
    try:
        settings["when_ready"](server)
        frozen = not any(o is environment for o in gc.get_objects())
    finally:
        sa.event.remove(sa.Engine, "connect", connected)
        gc.unfreeze()
    assert any(o is environment for o in gc.get_objects())  # tracked again once thawed
    assert frozen
    # Every page's template compiled in the master, where each worker compiled its own.
    assert all((weakref.ref(environment.loader), name) in environment.cache for name in pages)
    assert logged == [f"warmed {len(pages)} templates before forking"]
    assert connections == []  # a forked worker must not share its master's connection


def test_nginx_body_limit_matches_the_app_default(tmp_path):
    from service.config import from_environment

    default = from_environment(str(tmp_path), env={})["MAX_CONTENT_LENGTH"]
    site = (DEPLOY / "nginx/kexie.conf").read_text()
    megabytes = int(re.search(r"client_max_body_size (\d+)m;", site).group(1))
    assert megabytes * 1024 * 1024 == default


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
@pytest.mark.parametrize("site", ["kexie.conf", "compose.conf"])
def test_the_nginx_sites_pass_nginx_t(tmp_path, site):
    """`nginx -t` on the site as shipped, with throwaway certificates in place."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=kexie.test", "-keyout", str(tmp_path / "privkey.pem"),
         "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    text = (DEPLOY / "nginx" / site).read_text()
    text = text.replace("/etc/ssl/kexie", str(tmp_path)).replace("web:8000", "127.0.0.1:8000")
    text = text.replace(
        "/etc/nginx/snippets/kexie-proxy.conf", str(DEPLOY / "nginx/kexie-proxy.conf")
    )
    (tmp_path / "site.conf").write_text(text)
    (tmp_path / "nginx.conf").write_text(f"events {{}}\nhttp {{ include {tmp_path}/site.conf; }}\n")
    check = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
         "-g", f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr


def test_the_proof_balances_its_nodes_as_the_production_site_does():
    upstream = re.compile(r"upstream kexie_web \{(.*?)\}", re.DOTALL)
    for path in ("nginx/kexie.conf", "prove.sh"):
        assert "least_conn;" in upstream.search((DEPLOY / path).read_text()).group(1), path


def test_the_load_tool_reports_each_endpoint_class_of_the_mixed_load():
    load = runpy.run_path(str(DEPLOY / "load.py"))
    kind = load["endpoint_class"]
    assert kind("GET", "/api/v1/members/?page=2&page_size=50") == "api read"
    assert kind("PATCH", "/api/v1/members/7") == "api write"
    assert kind("GET", "/activities/export.xlsx") == "export"
    assert kind("GET", "/federation/trends") == "dashboard"
    assert kind("GET", "/members/") == "page"
    assert set(load["CLASSES"]) == {"api read", "api write", "page", "dashboard", "export"}


def test_the_server_time_summary_ranks_endpoints_by_the_time_they_held_the_workers():
    summary = runpy.run_path(str(DEPLOY / "server_time.py"))
    line = (
        '{{"ts": "2026-12-01T00:22:56", "level": "INFO", "logger": "kexie.request", '
        '"message": "GET {path} 200", "method": "GET", "path": "{path}", '
        '"endpoint": "{endpoint}", "status": 200, "duration_ms": {ms}}}'
    )
    log = [
        line.format(path="/members/", endpoint="members.index", ms=10.0),
        line.format(path="/members/", endpoint="members.index", ms=12.0),
        line.format(path="/audit/", endpoint="audit.index", ms=30.0),
        '"GET /members/" 200 5120 10000us rid=abc',  # gunicorn's access log: not the app's
        '{"logger": "kexie.jobs", "message": "compiled"}',
    ]
    durations = summary["durations"](log)
    assert durations == {"GET members.index": [10.0, 12.0], "GET audit.index": [30.0]}
    ranked = summary["summary"](durations, top=5)
    assert [row.rsplit(" ", 1)[-1] for row in ranked] == ["audit.index", "members.index"]
    assert ranked[0].lstrip().startswith("57.7%")


def test_the_load_splits_each_latency_into_the_app_and_the_wait_for_a_worker():
    summary = runpy.run_path(str(DEPLOY / "server_time.py"))
    line = (
        '{{"logger": "kexie.request", "method": "GET", "endpoint": "members.index", '
        '"request_id": "{rid}", "duration_ms": {ms}}}'
    )
    log = [line.format(rid=f"load-{n}", ms=10.0 + n) for n in range(100)]
    in_app = summary["app_times"](log)
    assert in_app["load-7"] == 17.0 and len(in_app) == 100
    # each request waited 400 ms for a worker, the last one 900
    latencies = {f"load-{n}": 410.0 + n for n in range(99)} | {"load-99": 1009.0}
    latencies["not-logged"] = 5.0  # a request the app never saw is left out
    lines = summary["waits"](latencies, in_app)
    assert lines[0].startswith("latency split, 100 requests")
    p50 = lines[1].split("ms", 1)[1].split("/")
    assert [float(x) for x in p50] == [460.0, 60.0, 400.0]
    slowest = lines[-1].split("ms", 1)[1].split("/")
    assert [float(x) for x in slowest] == [1009.0, 109.0, 900.0]
    assert summary["waits"]({}, in_app) == ["no request of the load found in the app's log"]
