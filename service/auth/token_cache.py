"""Credentials known to this process: verified without a database round trip.

Two kinds, each in a cache of its own, keyed by a hash of the secret (the plaintext is
never kept): an API token's principal, and the signed-in account behind a web session's
token (`SignedIn`, what a page needs of it). An entry is kept for
`API_TOKEN_CACHE_SECONDS` (5 by default); a token's own expiry is checked on every
request. A change reaches every worker through a version number per kind:

- the process that revokes a token, or changes an account (its role, its association,
  its name, its password or session token, whether it is active), bumps its own version
  when the change commits: its next request reads the database again;
- with Redis (`REDIS_URL`), it also increments a counter there, read once per request
  that hits the cache: every worker reads the database again from its next request on;
- whatever happens to Redis (down, not configured, or the increment lost), an entry is
  checked against the database again once it is `API_TOKEN_CACHE_SECONDS` old.

The bound: a revoked token or an ended session stops working, and a changed role takes
effect, within API_TOKEN_CACHE_SECONDS on every worker, and at once where Redis is
reachable (tests/service/test_token_cache.py).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from service.auth.models import SignedIn, User
from service.auth.principal import Principal
from tenants.models import utcnow

log = logging.getLogger(__name__)

REVOCATIONS_KEY = "kexie:api-token-revocations"
ACCOUNT_CHANGES_KEY = "kexie:account-changes"
MAX_ENTRIES = 10_000
_UNKNOWN = -1  # Redis could not be read: no entry is trusted


Known = Principal | SignedIn
Verified = tuple[Known, datetime]  # what a secret stands for, and until when


@dataclass(frozen=True)
class _Entry:
    known: Known
    expires_at: datetime
    checked_at: float  # time.monotonic() before the database was read
    version: tuple[int, int]


class TokenCache:
    """One per kind of credential and application (per worker process)."""

    def __init__(self, max_age: float, redis_url: str | None, key: str = REVOCATIONS_KEY) -> None:
        self.max_age = max_age
        self.redis_url = redis_url
        self.key = key  # the shared version's counter in Redis
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
            return int(self._client().get(self.key) or 0)
        except RedisError as error:
            log.warning("%s unreadable, checking in the database: %s", self.key, error)
            return _UNKNOWN

    def _client(self):
        if self._redis is None:
            from redis import Redis

            # Short timeouts: a request falls back to the database rather than wait.
            self._redis = Redis.from_url(
                self.redis_url, socket_connect_timeout=0.5, socket_timeout=0.5
            )
        return self._redis

    def get(self, key: str, version: tuple[int, int]) -> Known | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        fresh = time.monotonic() - entry.checked_at < self.max_age
        if not fresh or entry.version != version or _UNKNOWN in version:
            self.entries.pop(key, None)
            return None
        if entry.expires_at <= utcnow():
            return None
        return entry.known

    def verified(self, secret: str, verify: Callable[[], Verified | None]) -> Known | None:
        """What is kept for a secret (an Authorization header, a session token); else what
        `verify` reads in the database (what it stands for, and until when), remembered,
        or None."""
        started, version, key = time.monotonic(), self.version(), key_for(secret)
        known = self.get(key, version)
        if known is not None:
            return known
        read = verify()
        if read is None:
            return None
        self.put(key, _Entry(*read, started, version))
        return read[0]

    def put(self, key: str, entry: _Entry) -> None:
        if _UNKNOWN in entry.version:
            return
        if len(self.entries) >= MAX_ENTRIES:
            self.entries.clear()
        self.entries[key] = entry

    def revoked(self) -> None:
        """A revocation or change committed: forget every entry here, and tell the other
        workers."""
        self.local_version += 1
        self.entries.clear()
        if self.redis_url:
            from redis.exceptions import RedisError

            try:
                self._client().incr(self.key)
            except RedisError as error:
                log.warning(
                    "%s not broadcast (other workers: at most %ss): %s",
                    self.key,
                    self.max_age,
                    error,
                )


def cache(app: Flask | None = None) -> TokenCache:
    """The API tokens known to this process."""
    return _cache(app, "kexie_token_cache", REVOCATIONS_KEY)


def accounts(app: Flask | None = None) -> TokenCache:
    """The signed-in accounts known to this process, by their session tokens."""
    return _cache(app, "kexie_account_cache", ACCOUNT_CHANGES_KEY)


def _cache(app: Flask | None, name: str, key: str) -> TokenCache:
    app = app or current_app._get_current_object()
    found = app.extensions.get(name)
    if found is None:
        found = app.extensions[name] = TokenCache(
            float(app.config.get("API_TOKEN_CACHE_SECONDS", 5)), app.config.get("REDIS_URL"), key
        )
    return found


def key_for(header: str) -> str:
    return hashlib.sha256(header.strip().encode()).hexdigest()


def note_revocation(session: Session) -> None:
    """Called by a service that revokes a token; acted on when the session commits (a
    rolled-back revocation may still clear the caches, which costs a database read)."""
    session.info["api_token_revoked"] = True


def _after_flush(session: Session, _context) -> None:
    # Any account written (a sign-in's counters too): over-forgetting costs one read.
    if any(isinstance(o, User) for o in (*session.dirty, *session.deleted)):
        session.info["account_changed"] = True


def _on_orm_execute(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and _names_accounts(state):
        state.session.info["account_changed"] = True


def _names_accounts(state: ORMExecuteState) -> bool:
    mapper = state.bind_mapper
    return mapper is not None and issubclass(mapper.class_, User)


def _after_commit(session: Session) -> None:
    if session.info.pop("api_token_revoked", False):
        cache().revoked()
    if session.info.pop("account_changed", False):
        accounts().revoked()


def install(session_class: type[Session]) -> None:
    for name, listener in (
        ("after_commit", _after_commit),
        ("after_flush", _after_flush),
        ("do_orm_execute", _on_orm_execute),
    ):
        if not event.contains(session_class, name, listener):
            event.listen(session_class, name, listener)
