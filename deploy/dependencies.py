"""`make audit`: the locked dependencies against a vulnerability database, and how stale they are.

The vulnerability check is pip-audit's (PyPI's advisory data). Where that database cannot be
reached, the report says so instead of claiming "no known vulnerabilities". Staleness is
read from the package index pip is configured with, and is reported, never failed on: a new
upstream release is a reason to look, not a broken build. Exit status: 1 only when a known
vulnerability was found.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "constraints.txt"


def pins() -> dict[str, str]:
    """Package name -> locked version, from constraints.txt."""
    out = {}
    for line in CONSTRAINTS.read_text().splitlines():
        name, sep, version = line.split("#")[0].strip().partition("==")
        if sep:
            out[name.strip()] = version.split(";")[0].strip()
    return out


def vulnerabilities() -> int:
    """Run pip-audit on the pins; 1 when it found a vulnerability."""
    run = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [
            sys.executable,
            "-m",
            "pip_audit",
            "-r",
            str(CONSTRAINTS),
            "--no-deps",
            "--disable-pip",
            "--format",
            "json",
            "--progress-spinner",
            "off",
        ],
        capture_output=True,
        text=True,
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print("vulnerabilities: pip-audit did not run:", run.stderr.strip()[-500:])
        return 0
    audited = [d for d in report["dependencies"] if "skip_reason" not in d]
    found = [(d["name"], d["version"], v["id"]) for d in audited for v in d["vulns"]]
    if not audited:
        print("vulnerabilities: NOT CHECKED: the advisory database is not reachable from here")
        return 0
    for name, version, advisory in found:
        print(f"vulnerable: {name} {version}: {advisory}")
    print(f"vulnerabilities: {len(found)} in {len(audited)} audited packages")
    return 1 if found else 0


def newest(name: str) -> str | None:
    run = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-m", "pip", "index", "versions", name],
        capture_output=True,
        text=True,
    )
    first = run.stdout.splitlines()[0] if run.returncode == 0 and run.stdout else ""
    return first.partition("(")[2].rstrip(")") or None


def staleness() -> None:
    """Print each pin that is older than the index's newest release."""
    locked = sorted(pins().items(), key=lambda p: p[0].lower())
    with ThreadPoolExecutor(max_workers=16) as pool:  # one slow index query per package
        names = [name for name, _ in locked]
        latest_of = dict(zip(names, pool.map(newest, names), strict=True))
    stale = 0
    for name, pinned in locked:
        latest = latest_of[name]
        try:
            if latest and Version(pinned) < Version(latest):
                stale += 1
                print(f"stale: {name} {pinned} < {latest}")
        except InvalidVersion:
            continue
    print(f"staleness: {stale} of {len(pins())} pins have a newer release (reported, not failed)")


if __name__ == "__main__":
    status = vulnerabilities()
    staleness()
    sys.exit(status)
