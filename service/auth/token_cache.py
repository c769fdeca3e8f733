"""API tokens known to this process: verified without a database round trip.

A verified token's principal is kept for `API_TOKEN_CACHE_SECONDS` (5 by default), keyed
by a hash of the bearer string (the plaintext is never kept). Its own expiry is checked
on every request. A revocation reaches every worker through a version number:

- the revoking process bumps its own version when the revocation commits: its next
  request is refused;
- with Redis (`REDIS_URL`), it also increments a counter there, read once per API request
  that hits the cache: every worker refuses the token from its next request on;
- whatever happens to Redis (down, not configured, or the increment lost), a known token
  is checked against the database again once its entry is `API_TOKEN_CACHE_SECONDS` old.

The bound: a revoked token stops working within API_TOKEN_CACHE_SECONDS on every worker,
and at once where Redis is reachable (tests/service/test_token_cache.py).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from service.auth.principal import Principal
from tenants.models import utcnow

log = logging.getLogger(__name__)

REVOCATIONS_KEY = "kexie:api-token-revocations"
MAX_ENTRIES = 10_000
_UNKNOWN = -1  # Redis could not be read: no entry is trusted


@dataclass(frozen=True)
class _Entry:
    principal: Principal
    expires_at: datetime
    checked_at: float  # time.monotonic() before the database was read
    version: tuple[int, int]


class TokenCache:
    """One per application (per worker process)."""

    def __init__(self, max_age: float, redis_url: str | None) -> None:
        self.max_age = max_age
        self.redis_url = redis_url
        self.local_version = 0
        self.entries: dict[str, _Entry] = {}
        self._redis = None

    def version(self) -> tuple[int, int]:
        """(this process's revocations, everyone's through Redis); read once a request."""
        return self.local_version, self._shared_version()

    def _shared_version(self) -> int:
        if not self.redis_url:
            return 0
        from redis.exceptions import RedisError

        try:
            return int(self._client().get(REVOCATIONS_KEY) or 0)
        except RedisError as error:
            log.warning("token revocations unreadable, checking tokens in the database: %s", error)
            return _UNKNOWN

    def _client(self):
        if self._redis is None:
            from redis import Redis

            # Short timeouts: a request falls back to the database rather than wait.
            self._redis = Redis.from_url(
                self.redis_url, socket_connect_timeout=0.5, socket_timeout=0.5
            )
        return self._redis

    def get(self, key: str, version: tuple[int, int]) -> Principal | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        fresh = time.monotonic() - entry.checked_at < self.max_age
        if not fresh or entry.version != version or _UNKNOWN in version:
            self.entries.pop(key, None)
            return None
        if entry.expires_at <= utcnow():
            return None
        return entry.principal

    def put(self, key: str, entry: _Entry) -> None:
        if _UNKNOWN in entry.version:
            return
        if len(self.entries) >= MAX_ENTRIES:
            self.entries.clear()
        self.entries[key] = entry

    def revoked(self) -> None:
        """A revocation committed: forget every token here, and tell the other workers."""
        self.local_version += 1
        self.entries.clear()
        if self.redis_url:
            from redis.exceptions import RedisError

            try:
                self._client().incr(REVOCATIONS_KEY)
            except RedisError as error:
                log.warning(
                    "token revocation not broadcast (other workers: at most %ss): %s",
                    self.max_age,
                    error,
                )


def cache(app: Flask | None = None) -> TokenCache:
    app = app or current_app._get_current_object()
    found = app.extensions.get("kexie_token_cache")
    if found is None:
        found = app.extensions["kexie_token_cache"] = TokenCache(
            float(app.config.get("API_TOKEN_CACHE_SECONDS", 5)), app.config.get("REDIS_URL")
        )
    return found


def key_for(header: str) -> str:
    return hashlib.sha256(header.strip().encode()).hexdigest()


def known(header: str) -> tuple[Principal | None, tuple[int, int], float]:
    """The cached principal for an Authorization header, or None; with the version and
    time to remember a principal verified now under."""
    started, tokens = time.monotonic(), cache()
    version = tokens.version()
    return tokens.get(key_for(header), version), version, started


def remember(
    header: str, principal: Principal, expires_at: datetime, version: tuple, started: float
) -> None:
    cache().put(key_for(header), _Entry(principal, expires_at, started, version))


def note_revocation(session: Session) -> None:
    """Called by a service that revokes a token; acted on when the session commits (a
    rolled-back revocation may still clear the caches, which costs a database read)."""
    session.info["api_token_revoked"] = True


def _after_commit(session: Session) -> None:
    if session.info.pop("api_token_revoked", False):
        cache().revoked()


def install(session_class: type[Session]) -> None:
    if not event.contains(session_class, "after_commit", _after_commit):
        event.listen(session_class, "after_commit", _after_commit)
