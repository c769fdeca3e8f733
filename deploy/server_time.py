"""Where the web nodes spent their time: the app's JSON request log summed per endpoint.

    python deploy/server_time.py web1.log [web2.log ...] [--top 12]

The load's own latencies (deploy/load.py) include the wait for a free worker; these are the
durations the app measured inside the request, so the endpoints that hold the workers longest
come first. Standard library only, like the load.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict


def durations(lines) -> dict[str, list[float]]:
    """Milliseconds per "METHOD endpoint" from the app's request log lines; other lines skipped."""
    by_endpoint: dict[str, list[float]] = defaultdict(list)
    for line in lines:
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("logger") == "kexie.request" and "duration_ms" in entry:
            name = f"{entry.get('method', '?')} {entry.get('endpoint') or entry.get('path')}"
            by_endpoint[name].append(float(entry["duration_ms"]))
    return by_endpoint


def summary(by_endpoint: dict[str, list[float]], top: int) -> list[str]:
    """The endpoints by total time, each with its share, count, median and slowest."""
    total = sum(sum(ms) for ms in by_endpoint.values()) or 1.0
    ranked = sorted(by_endpoint.items(), key=lambda item: -sum(item[1]))
    return [
        f"{sum(ms) * 100 / total:5.1f}%  {len(ms):6d} x  p50 {statistics.median(ms):7.1f} ms  "
        f"max {max(ms):7.1f} ms  {name}"
        for name, ms in ranked[:top]
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("logs", nargs="+")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    merged: dict[str, list[float]] = defaultdict(list)
    for path in args.logs:
        with open(path, encoding="utf-8", errors="replace") as log:
            for name, ms in durations(log).items():
                merged[name].extend(ms)
    count = sum(len(ms) for ms in merged.values())
    seconds = sum(sum(ms) for ms in merged.values()) / 1000
    print(f"server time: {count} requests, {seconds:.1f} s in all; by endpoint (share):")
    for line in summary(merged, args.top):
        print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
