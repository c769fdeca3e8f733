"""The offline stand-in for pip-audit (which needs a vulnerability database this machine
cannot reach, see SECURITY.md): no locked dependency may be older than the newest release
in the machine's package list, so a fix that has been released is never left out."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_LIST = Path("/work/.library/env/packages/pypi.tsv")


def _key(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, sep, version = line.strip().partition("==")
        if sep and not name.startswith("#"):
            pins[_key(name)] = version.split(";")[0].strip()
    return pins


def _newest_releases() -> dict[str, str]:
    with PACKAGE_LIST.open(newline="") as f:
        rows = csv.reader(f, delimiter="\t")
        next(rows)
        return {_key(row[0]): row[1] for row in rows if len(row) > 1 and row[1]}


@pytest.mark.skipif(not PACKAGE_LIST.exists(), reason="no package list on this machine")
def test_no_locked_dependency_is_older_than_its_newest_release():
    newest = _newest_releases()
    stale = []
    for name, pinned in _pins().items():
        if name not in newest:
            continue
        try:
            if Version(pinned) < Version(newest[name]):
                stale.append(f"{name} {pinned} < {newest[name]}")
        except InvalidVersion:
            continue
    assert stale == [], "upgrade and re-test: " + ", ".join(stale)


def test_every_dependency_is_locked():
    assert len(_pins()) > 40
    assert {"flask", "sqlalchemy", "psycopg", "rq", "gunicorn", "schemathesis"} <= set(_pins())
