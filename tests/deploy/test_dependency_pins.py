"""Every dependency is locked in constraints.txt, so a build today and a build next year
install the same code. Whether a pin is stale or vulnerable is `make audit`'s report
(deploy/dependencies.py), which reads the package index and so never belongs in CI: a new
upstream release would turn the build red on a day nothing here changed."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from deploy.dependencies import pins

ROOT = Path(__file__).resolve().parents[2]


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    """The names pyproject.toml depends on, extras included."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"].values()
    requirements = [*project["dependencies"], *(r for extra in extras for r in extra)]
    return {_key(re.match(r"[A-Za-z0-9_.-]+", r).group()) for r in requirements}


def test_every_declared_dependency_is_locked():
    locked = {_key(name) for name in pins()}
    assert _declared() - locked == set()
    assert {"flask", "sqlalchemy", "psycopg", "rq", "gunicorn", "schemathesis"} <= locked
