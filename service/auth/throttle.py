"""Sign-in throttling that slows a guesser down without locking the account holder out.

Three counters, kept in the rate-limit storage (Redis in production, memory on the embedded
default and in tests):

- per (username, address) pair: after `PAIR_FREE` failures each further try waits, 15 s
  doubling up to 15 minutes. A guesser at one address gets a few dozen tries an hour.
- per username, over every address: past the ceiling (`LOGIN_USERNAME_CEILING`, e.g. 10 per
  15 minutes) the username is not refused but paced: one try every `LOGIN_SLOW_PACE`
  seconds from a device it does not know, all addresses together. A device that signed in
  before (the known-device cookie, `service.auth.devices`) is not paced at all, so a
  botnet cannot keep the holder out; only its own pair's backoff applies to it.
- per address, over every username (`LOGIN_RATE_LIMIT`, Flask-Limiter on the view), against
  spraying one password over many accounts.

Reaching the ceiling tells the account holder (`service.auth.alerts`). A throttled try is
answered before the password is checked, so waiting cannot be skipped by guessing.
"""

from __future__ import annotations

import logging
import math
import time

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage, Storage
from redis import RedisError

from service.extensions import limiter

PAIR_FREE = 5  # failures per (username, address) before the first wait
PAIR_FIRST_WAIT = 15  # seconds; doubles with each further failure
PAIR_LONGEST_WAIT = 15 * 60
PAIR_MEMORY = 60 * 60  # a pair's failures are forgotten an hour after the first

log = logging.getLogger("kexie.auth")
# Redis down: count in this process, as Flask-Limiter's own in-memory fallback does.
_fallback = MemoryStorage()


def _call(operation: str, *args):
    try:
        return getattr(_storage(), operation)(*args)
    except (RedisError, OSError):
        log.warning("sign-in throttle: the rate-limit storage failed; counting in memory")
        return getattr(_fallback, operation)(*args)


def _storage() -> Storage:
    return limiter.storage


def _ceiling() -> tuple[int, int]:
    """(failures, seconds) of LOGIN_USERNAME_CEILING."""
    item = parse(current_app.config["LOGIN_USERNAME_CEILING"])
    return item.amount, item.get_expiry()


def _keys(username: str, address: str) -> dict[str, str]:
    name = username.strip().lower()
    return {
        "pair": f"login:pair:{name}:{address}",
        "pair_wait": f"login:pair-wait:{name}:{address}",
        "user": f"login:user:{name}",
        "pace": f"login:pace:{name}",
    }


def _seconds_left(key: str) -> int:
    if not _call("get", key):
        return 0
    return max(1, math.ceil(_call("get_expiry", key) - time.time()))


def pair_wait(failures: int) -> int:
    """How long a pair waits after its `failures`-th failure."""
    if failures < PAIR_FREE:
        return 0
    return min(PAIR_FIRST_WAIT * 2 ** (failures - PAIR_FREE), PAIR_LONGEST_WAIT)


def wait_before(username: str, address: str, known_device: bool) -> int:
    """Seconds to wait before this try may be checked; 0 lets it through (and, when the
    username is paced, takes the pace's slot)."""
    keys = _keys(username, address)
    waiting = _seconds_left(keys["pair_wait"])
    if waiting or known_device:
        return waiting
    ceiling, _window = _ceiling()
    if (_call("get", keys["user"]) or 0) < ceiling:
        return 0
    waiting = _seconds_left(keys["pace"])
    if not waiting:
        _call("incr", keys["pace"], current_app.config["LOGIN_SLOW_PACE"])
    return waiting


def failed(username: str, address: str) -> int | None:
    """Count a failed try. Returns the username's failures when this one reached the
    ceiling (once per window: the moment to tell the holder), else None."""
    keys = _keys(username, address)
    failures = _call("incr", keys["pair"], PAIR_MEMORY)
    wait = pair_wait(failures)
    if wait:
        _call("clear", keys["pair_wait"])
        _call("incr", keys["pair_wait"], wait)
    ceiling, window = _ceiling()
    count = _call("incr", keys["user"], window)
    return count if count == ceiling else None


def succeeded(username: str, address: str) -> None:
    """The right password from this address: its pair starts afresh."""
    keys = _keys(username, address)
    _call("clear", keys["pair"])
    _call("clear", keys["pair_wait"])
