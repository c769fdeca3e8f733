"""Benchmarks: run by `make bench`, never by `make test`. They measure and report; they do
not assert timings. Results go to tests/perf/results/ as JSON and a Markdown summary."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def write_result(name: str, figures: dict, summary: str) -> Path:
    """Write one benchmark's figures; a run at another scale than the province's (say
    `BENCH_SCALE=nation`) keeps its own files beside the province's."""
    scale = os.environ.get("BENCH_SCALE", "province")
    if scale != "province":
        name = f"{name}-{scale}"
    RESULTS.mkdir(exist_ok=True)
    record = {
        "benchmark": name,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "database": os.environ.get("TEST_DATABASE_URL", "sqlite").split("@")[-1],
        "scale": scale,
        **figures,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2))
    (RESULTS / f"{name}.md").write_text(summary + "\n")
    print("\n" + summary)
    return path


# Written by hand: where the targets stand, and when and how each section was run. A run
# rewrites SUMMARY.md, not this.
TARGETS = RESULTS / "TARGETS.md"


def pytest_sessionfinish(session, exitstatus) -> None:
    """One Markdown page: the targets, then every benchmark's latest summary."""
    write_summary()


def write_summary() -> None:
    parts = sorted(p for p in RESULTS.glob("*.md") if p.name not in ("SUMMARY.md", TARGETS.name))
    if not parts:
        return
    latest = max(json.loads(p.read_text())["when"] for p in RESULTS.glob("*.json"))
    head = (
        f"# Benchmark results\n\nLatest run {latest[:16].replace('T', ' ')} UTC on "
        f"{os.cpu_count()} cores, Python {platform.python_version()}. Each section is the "
        "latest run of that benchmark; its JSON beside it has every figure.\n"
    )
    targets = [TARGETS.read_text().strip() + "\n"] if TARGETS.exists() else []
    sections = [f"## {p.stem}\n\n{p.read_text().strip()}\n" for p in parts]
    (RESULTS / "SUMMARY.md").write_text("\n".join([head, *targets, *sections]))
