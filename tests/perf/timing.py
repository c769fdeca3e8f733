"""Timing helpers: the median of many runs, measured alternately so noise hits both sides."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def alternate(runs: int, **calls: Callable[[], object]) -> dict[str, dict[str, float]]:
    """Call each function `runs` times, round-robin; p50 and p99 of each, in milliseconds."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():  # warm caches and connections first
        call()
    for _ in range(runs):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: summary(values) for name, values in samples.items()}


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3),
        "runs": len(ordered),
    }
