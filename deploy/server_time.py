"""Where the web nodes spent their time: the app's JSON request log summed per endpoint.

    python deploy/server_time.py web1.log [web2.log ...] [--top 12] [--load latencies.tsv]

The load's own latencies (deploy/load.py) include the wait for a free worker; these are the
durations the app measured inside the request, so the endpoints that hold the workers longest
come first. With `--load` (what `load.py --record` wrote: request id and latency), each
request's latency is split into its time in the app and the rest, the wait for a worker
(nginx, the socket's queue and gunicorn), as percentiles and for the slowest 1%. Standard
library only, like the load.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict


def _requests(lines):
    """The app's request log entries among the lines; other lines skipped."""
    for line in lines:
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("logger") == "kexie.request" and "duration_ms" in entry:
            yield entry


def durations(lines) -> dict[str, list[float]]:
    """Milliseconds per "METHOD endpoint" from the app's request log lines."""
    by_endpoint: dict[str, list[float]] = defaultdict(list)
    for entry in _requests(lines):
        name = f"{entry.get('method', '?')} {entry.get('endpoint') or entry.get('path')}"
        by_endpoint[name].append(float(entry["duration_ms"]))
    return by_endpoint


def app_times(lines) -> dict[str, float]:
    """Milliseconds in the app per request id."""
    return {e["request_id"]: float(e["duration_ms"]) for e in _requests(lines) if "request_id" in e}


def waits(latencies: dict[str, float], in_app: dict[str, float]) -> list[str]:
    """Each request's latency as its time in the app and its wait for a worker: percentiles
    of the three, and the means of the slowest 1%."""
    joined = sorted((ms, in_app[rid]) for rid, ms in latencies.items() if rid in in_app)
    if not joined:
        return ["no request of the load found in the app's log"]
    columns = {
        "total": [ms for ms, _app in joined],
        "app": [app for _ms, app in joined],
        "wait": [ms - app for ms, app in joined],
    }
    lines = [f"latency split, {len(joined)} requests: total / in the app / waiting for a worker"]
    for fraction in (0.5, 0.95, 0.99):
        total, app, wait = (_percentile(values, fraction) for values in columns.values())
        lines.append(f"p{fraction * 100:.0f} ms {total:7.1f} / {app:7.1f} / {wait:7.1f}")
    slowest = joined[-max(1, len(joined) // 100) :]
    total = statistics.mean(ms for ms, _app in slowest)
    app = statistics.mean(app for _ms, app in slowest)
    lines.append(f"slowest 1%, mean ms {total:7.1f} / {app:7.1f} / {total - app:7.1f}")
    return lines


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


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
    parser.add_argument("--load", help="request ids and latencies, as load.py --record writes")
    args = parser.parse_args()
    merged: dict[str, list[float]] = defaultdict(list)
    in_app: dict[str, float] = {}
    for path in args.logs:
        with open(path, encoding="utf-8", errors="replace") as log:
            lines = log.readlines()
        for name, ms in durations(lines).items():
            merged[name].extend(ms)
        in_app.update(app_times(lines))
    count = sum(len(ms) for ms in merged.values())
    seconds = sum(sum(ms) for ms in merged.values()) / 1000
    print(f"server time: {count} requests, {seconds:.1f} s in all; by endpoint (share):")
    for line in summary(merged, args.top):
        print("  " + line)
    if args.load:
        with open(args.load, encoding="utf-8") as record:
            latencies = {rid: float(ms) for rid, ms in (line.split("\t") for line in record)}
        print("\n  ".join(waits(latencies, in_app)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
