"""Sharded runs: ``?shard=i&shards=n`` makes a tenant-loop job process only its share of the tenants.

A chart CronJob with ``cron.schedules.<key>.shards: N`` runs an Indexed Job of N pods; pod *i*
POSTs ``?shard=i&shards=N`` (its ``JOB_COMPLETION_INDEX``). A tenant belongs to shard
``sha256(tenant id) mod N`` — stable across runs, pods and processes (no ``hash()`` seed), so N
concurrent shard calls cover every tenant exactly once. Each shard runs under its own lease,
``<route>#<i>/<n>`` (one shard's run never blocks another; a retried shard pod cannot run twice).

Only jobs that loop over tenants can be sharded (:data:`SHARDABLE_ROUTES`); any other route answers
400 to a shard parameter, like a bad value does, and runs nothing.
"""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from service.errors import ServiceError

SHARDABLE_ROUTES = (
    "cleanup",
    "dsar-purge",
    "export-interactions",
    "engagement-health-recompute",
    "gitops-drift-check",
)
MAX_SHARDS = 1000
T = TypeVar("T")


class BadShardRequest(ServiceError):
    """A bad ``shard`` / ``shards`` query parameter: 400, nothing ran."""

    status_code = 400
    code = "bad_request"


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def lease_key(self, route: str) -> str:
        return f"{route}#{self.index}/{self.count}"

    def owns(self, tenant_id: str) -> bool:
        return shard_of(tenant_id, self.count) == self.index


def shard_of(tenant_id: str, count: int) -> int:
    """The shard of ``tenant_id`` among ``count``: the first 8 bytes of its SHA-256, mod ``count``."""
    return int.from_bytes(hashlib.sha256(tenant_id.encode()).digest()[:8], "big") % count


def _int(name: str, raw: str, job: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 4:
        raise BadShardRequest(
            f"query parameter {name} must be a non-negative integer, got {raw[:40]!r}", job=job
        )
    return int(raw)


def parse_shard(route: str, query: Mapping[str, str]) -> Shard | None:
    """``?shard=i&shards=n`` → a Shard (None without both); a 400 for anything else."""
    raw_i, raw_n = query.get("shard"), query.get("shards")
    if raw_i is None and raw_n is None:
        return None
    if raw_i is None or raw_n is None:
        raise BadShardRequest(
            "query parameters shard and shards go together (shard=i&shards=n, 0 <= i < n)", job=route
        )
    if route not in SHARDABLE_ROUTES:
        raise BadShardRequest(f"{route} cannot be sharded; only {', '.join(SHARDABLE_ROUTES)} can", job=route)
    index, count = _int("shard", raw_i, route), _int("shards", raw_n, route)
    if not 1 <= count <= MAX_SHARDS:
        raise BadShardRequest(
            f"query parameter shards must be between 1 and {MAX_SHARDS}, got {count}", job=route
        )
    if index >= count:
        raise BadShardRequest(f"query parameter shard must be below shards ({count}), got {index}", job=route)
    return Shard(index, count)


_current: contextvars.ContextVar[Shard | None] = contextvars.ContextVar("kaireon_shard", default=None)


def current() -> Shard | None:
    return _current.get()


def activate(shard: Shard | None) -> contextvars.Token[Shard | None]:
    return _current.set(shard)


def deactivate(token: contextvars.Token[Shard | None]) -> None:
    _current.reset(token)


def mine(items: Iterable[T], id_of: Callable[[T], str] = str) -> list[T]:
    """The items (tenant ids, or rows with ``id_of``) of the current shard; all of them outside one."""
    shard = _current.get()
    out = list(items)
    return out if shard is None else [t for t in out if shard.owns(id_of(t))]
