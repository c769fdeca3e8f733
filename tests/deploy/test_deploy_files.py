"""The deploy folder stays in step with the code an operator runs."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

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


def test_nginx_body_limit_matches_the_app_default(tmp_path):
    from service.config import from_environment

    default = from_environment(str(tmp_path), env={})["MAX_CONTENT_LENGTH"]
    site = (DEPLOY / "nginx/kexie.conf").read_text()
    megabytes = int(re.search(r"client_max_body_size (\d+)m;", site).group(1))
    assert megabytes * 1024 * 1024 == default
