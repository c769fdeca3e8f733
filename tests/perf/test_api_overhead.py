"""Ratio 1 of issue 9: our token-authenticated, tenant-scoped API against a bare Flask JSON
endpoint in the same gunicorn process (same config, workers, connections and wrk), at
province scale. Throughput and p50/p99 for each, measured alternately in one run.

With BENCH_BEFORE_TREE set to another checkout of the service (say a `git worktree` of the
branch point), the same measure side by side: that tree's gunicorn and this one's on one
database, wrk rounds alternating between them (api_overhead-side_by_side)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.perf.conftest import write_result
from tests.perf.scale_db import BENCH_SCALE, BENCH_SCALE_NAME, needs_postgres, scale_database

ROOT = Path(__file__).resolve().parents[2]
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
WRK = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency"]
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gunicorn(database_url: str, port: int, tree: Path = ROOT) -> subprocess.Popen:
    env = os.environ | {
        "APP_ENV": "production",
        "SECRET_KEY": "benchmark-only",
        "DATABASE_URL": database_url,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": "/dev/null",
        "GUNICORN_MAX_REQUESTS": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [GUNICORN, "-c", "deploy/gunicorn.conf.py", "tests.perf.bench_wsgi:app"],
        cwd=tree,  # gunicorn puts its working directory first on sys.path: that tree's code
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):  # up to a minute: a machine shared with other work boots slowly
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def _wrk(url: str, token: str) -> dict[str, float]:
    out = subprocess.run(
        [*WRK, "-H", f"Authorization: Bearer {token}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert errors is None, f"{url}: {errors.group(0)}"
    timeouts = re.search(r"timeout (\d+)", out)
    return {
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _latency(out, "50%"),
        "p99_ms": _latency(out, "99%"),
    }


def _latency(out: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", out).groups()
    return round(float(value) * UNITS[unit], 3)


def test_api_against_the_bare_framework_ceiling():
    needs_postgres()
    if not shutil.which("wrk"):
        pytest.skip("wrk is not installed (apt-get install wrk)")
    with scale_database(BENCH_SCALE) as province:
        port = _free_port()
        server = _gunicorn(province.app_url, port)
        base = f"http://127.0.0.1:{port}"
        urls = {
            "bare": f"{base}/bench/bare",
            "one_member": f"{base}/api/v1/members/{province.member_id}",
            "member_page": f"{base}/api/v1/members/?page=7&page_size=50",
        }
        try:
            rounds = [{k: _wrk(u, province.token) for k, u in urls.items()} for _ in range(ROUNDS)]
        finally:
            server.terminate()
            server.wait(timeout=30)
    figures = {
        k: {
            m: round(sum(r[k][m] for r in rounds) / ROUNDS, 3)
            for m in ("rps", "p50_ms", "p99_ms", "timeouts")
        }
        for k in urls
    }
    ratios = {
        k: round(figures[k]["rps"] / figures["bare"]["rps"], 3)
        for k in ("one_member", "member_page")
    }
    f = figures
    write_result(
        "api_overhead",
        {
            "figures": f,
            "ratios_of_bare_throughput": ratios,
            "targets": {"one_member": 0.5, "member_page": 0.25},
            "setup": {"connections": CONNECTIONS, "seconds": SECONDS, "rounds": ROUNDS},
        },
        f"API against the bare-Flask ceiling (gunicorn as deploy/gunicorn.conf.py, wrk "
        f"{CONNECTIONS} connections, {SECONDS} s x {ROUNDS} rounds, {BENCH_SCALE_NAME} scale):\n"
        f"- bare endpoint: {f['bare']['rps']:.0f} req/s, p50 {f['bare']['p50_ms']} ms, "
        f"p99 {f['bare']['p99_ms']} ms\n"
        f"- one member: {f['one_member']['rps']:.0f} req/s, p50 {f['one_member']['p50_ms']} ms, "
        f"p99 {f['one_member']['p99_ms']} ms; ratio {ratios['one_member']} (target 0.5)\n"
        f"- 50-member page: {f['member_page']['rps']:.0f} req/s, "
        f"p50 {f['member_page']['p50_ms']} ms, p99 {f['member_page']['p99_ms']} ms; "
        f"ratio {ratios['member_page']} (target 0.25)",
    )


BEFORE_TREE = os.environ.get("BENCH_BEFORE_TREE")


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


@pytest.mark.skipif(not BEFORE_TREE, reason="set BENCH_BEFORE_TREE to a checkout to compare with")
def test_api_side_by_side_with_an_earlier_tree():
    needs_postgres()
    if not shutil.which("wrk"):
        pytest.skip("wrk is not installed (apt-get install wrk)")
    trees = {"before": Path(BEFORE_TREE).resolve(), "after": ROOT}
    commits = {
        name: subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=tree, capture_output=True, text=True
        ).stdout.strip()
        for name, tree in trees.items()
    }
    loads = [_load()]
    with scale_database(BENCH_SCALE) as province:
        servers, bases = {}, {}
        try:
            for name, tree in trees.items():
                port = _free_port()
                servers[name] = _gunicorn(province.app_url, port, tree)
                bases[name] = f"http://127.0.0.1:{port}"
            paths = {
                "bare": "/bench/bare",
                "one_member": f"/api/v1/members/{province.member_id}",
                "member_page": "/api/v1/members/?page=7&page_size=50",
            }
            for base in bases.values():  # warm each worker's pool and token cache
                for path in paths.values():
                    _wrk_short(base + path, province.token)
            rounds: dict[str, list] = {name: [] for name in trees}
            for _ in range(ROUNDS):
                for name in trees:
                    rounds[name].append(
                        {k: _wrk(bases[name] + p, province.token) for k, p in paths.items()}
                    )
                    loads.append(_load())
        finally:
            for server in servers.values():
                server.terminate()
                server.wait(timeout=30)
    figures, ratios = {}, {}
    for name, runs in rounds.items():
        figures[name] = {
            k: {
                m: round(sum(r[k][m] for r in runs) / ROUNDS, 3)
                for m in ("rps", "p50_ms", "p99_ms")
            }
            for k in paths
        }
        ratios[name] = {
            k: round(figures[name][k]["rps"] / figures[name]["bare"]["rps"], 3)
            for k in ("one_member", "member_page")
        }
    lines = [
        f"- {name} ({commits[name]}): bare {figures[name]['bare']['rps']:.0f} req/s; one member "
        f"{figures[name]['one_member']['rps']:.0f} req/s, ratio {ratios[name]['one_member']}; "
        f"50-member page {figures[name]['member_page']['rps']:.0f} req/s, ratio "
        f"{ratios[name]['member_page']}"
        for name in trees
    ]
    write_result(
        "api_overhead-side_by_side",
        {
            "trees": commits,
            "figures": figures,
            "ratios_of_bare_throughput": ratios,
            "rounds": rounds,
            "load_average_1_5_15": loads,
            "targets": {"one_member": 0.5, "member_page": 0.25},
            "setup": {"connections": CONNECTIONS, "seconds": SECONDS, "rounds": ROUNDS},
        },
        f"The API against bare Flask, before ({commits['before']}) and after ({commits['after']}) "
        f"side by side in one run: the two trees' gunicorns (deploy/gunicorn.conf.py) on one "
        f"{BENCH_SCALE_NAME}-scale database, wrk rounds alternating (bare, one member, 50-member "
        f"page; before then after, {ROUNDS} times; {SECONDS} s each; {CONNECTIONS} connections). "
        f"Load average (1, 5, 15 min) at the start and after each tree's round: "
        f"{'; '.join(loads)}.\n" + "\n".join(lines),
    )


def _wrk_short(url: str, token: str) -> None:
    subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", "-d2s", "-H", f"Authorization: Bearer {token}", url],
        capture_output=True,
        check=True,
    )
