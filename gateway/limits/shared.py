"""Limits shared by every process of every replica, counted in Redis (`GATEWAY_REDIS_URL`).

Each admission is one Lua script run atomically on the Redis server, on the server's clock, so
replicas neither race nor need synchronised clocks:

- requests per minute: a sliding one-minute log per tenant (a sorted set), exact;
- tokens per minute: per-second token buckets per tenant (a hash), counted when answers end, so
  a tenant can overshoot by the tokens of the requests in flight when it reaches the limit;
- monthly budget: USD spent this UTC month per tenant (INCRBYFLOAT), seeded once per month (and
  again if Redis lost its data) from the audit log, which stays the truth; overshoot: the cost of
  the requests in flight when the budget is reached.

When Redis cannot be reached, the process falls back and fails closed where it cannot know:
request and token rates are counted per process from the start of the outage; a budget is
enforced on the last spend this process read from Redis plus what it served since (exhausted:
429), and a tenant whose spend this process has not read this month is refused (503
`limits_unavailable`). Spend served meanwhile is added to Redis when it answers again.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gateway.errors import LimitsUnavailable, RateLimited
from gateway.exchange import Usage
from gateway.limits.budget import cost_usd, month_of, seconds_until_next_month
from gateway.limits.window import RateLimiter
from gateway.policy.schema import Limits, Price
from gateway.telemetry.spans import stage

log = logging.getLogger(__name__)

PREFIX = "gateway:limits"
RETRY_AFTER_OUTAGE_SECONDS = 1.0  # after a failed call, skip Redis this long (no timeout per request)
MONTH_KEY_TTL_SECONDS = 40 * 24 * 3600

# KEYS: requests zset, tokens hash, month spend, month seeded marker
# ARGV: rpm, tpm, budget (-1 = none), unique member for the request log
_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local budget = tonumber(ARGV[3])
local spent = '0'
if budget >= 0 then
  if redis.call('EXISTS', KEYS[4]) == 0 then return {'unseeded', 0, '0'} end
  spent = redis.call('GET', KEYS[3]) or '0'
  if tonumber(spent) >= budget then return {'budget', 0, spent} end
end
local rpm = tonumber(ARGV[1])
if rpm >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60)
  if redis.call('ZCARD', KEYS[1]) >= rpm then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {'rpm', math.ceil(tonumber(oldest[2]) + 60 - now), spent}
  end
end
local tpm = tonumber(ARGV[2])
if tpm >= 0 then
  local buckets = redis.call('HGETALL', KEYS[2])
  local total, oldest = 0, now
  for i = 1, #buckets, 2 do
    local second = tonumber(buckets[i])
    if second + 1 <= now - 60 then
      redis.call('HDEL', KEYS[2], buckets[i])
    else
      total = total + tonumber(buckets[i + 1])
      if second < oldest then oldest = second end
    end
  end
  if total >= tpm then return {'tpm', math.ceil(oldest + 61 - now), spent} end
end
if rpm >= 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('EXPIRE', KEYS[1], 61)
end
return {'ok', 0, spent}
"""

# KEYS: tokens hash, month spend; ARGV: tokens, usd, month key ttl
_SPEND = """
local t = redis.call('TIME')
if tonumber(ARGV[1]) > 0 then
  redis.call('HINCRBY', KEYS[1], t[1], ARGV[1])
  redis.call('EXPIRE', KEYS[1], 62)
end
if tonumber(ARGV[2]) > 0 then
  redis.call('INCRBYFLOAT', KEYS[2], ARGV[2])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return redis.call('GET', KEYS[2]) or '0'
"""

# KEYS: month seeded marker, then one month spend key per tenant; ARGV: ttl, then the amounts.
# Adds rather than sets: spend counted before the seed is kept (it errs towards counting twice).
_SEED = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then return 0 end
for i = 2, #KEYS do
  redis.call('INCRBYFLOAT', KEYS[i], ARGV[i])
  redis.call('EXPIRE', KEYS[i], ARGV[1])
end
return 1
"""


class SharedLimits:
    def __init__(
        self,
        redis_url: str,
        month_spend: Callable[[], Mapping[str, float]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        # Short timeouts and no retries: a request must not wait on a Redis that is gone.
        self._redis: Redis = Redis.from_url(
            redis_url, socket_connect_timeout=0.25, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
        )
        self._admit = self._redis.register_script(_ADMIT)
        self._spend = self._redis.register_script(_SPEND)
        self._seed = self._redis.register_script(_SEED)
        self._month_spend = month_spend
        self._clock = clock
        self._outage_rates = RateLimiter()  # per process, used only while Redis is unreachable
        self._known: dict[str, tuple[tuple[int, int], float]] = {}  # tenant -> (month, last spend read)
        self._unflushed: dict[str, float] = {}  # spend served while Redis was unreachable
        self._skip_until = 0.0
        self._seeding = asyncio.Lock()
        self._pending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        return None  # budgets are seeded on first use, by whichever process gets there first

    async def admit(self, tenant: str, limits: Limits) -> None:
        with stage("limits"):
            await self._admit_tenant(tenant, limits)

    async def _admit_tenant(self, tenant: str, limits: Limits) -> None:
        if (limits.requests_per_minute, limits.tokens_per_minute, limits.monthly_budget_usd) == (None,) * 3:
            return
        month = month_of(self._clock())
        if not self._reachable():
            return self._admit_in_outage(tenant, limits, month)
        try:
            await self._flush(tenant, month)
            verdict, retry_after, spent = await self._run_admit(tenant, limits, month)
            if verdict == "unseeded":
                await self._seed_month(month)
                verdict, retry_after, spent = await self._run_admit(tenant, limits, month)
        except (RedisError, OSError) as exc:
            self._down(exc)
            return self._admit_in_outage(tenant, limits, month)
        self._known[tenant] = (month, float(spent))
        if verdict == "budget":
            raise _budget_exceeded(self._clock())
        if verdict in ("rpm", "tpm"):
            per_minute = "requests" if verdict == "rpm" else "tokens"
            raise RateLimited(
                f"Rate limit reached: {per_minute} per minute.", retry_after_seconds=max(1, retry_after)
            )
        if verdict != "ok":  # "unseeded" twice: another process is seeding right now
            raise LimitsUnavailable("Limits are being loaded; retry shortly.", code="limits_unavailable")

    def spend(self, tenant: str, usage: Usage, price: Price, limits: Limits) -> None:
        usd = cost_usd(usage, price) if limits.monthly_budget_usd is not None else 0.0
        tokens = usage.total if limits.tokens_per_minute is not None else 0
        if usd <= 0 and tokens <= 0:
            return
        month = month_of(self._clock())
        if (known := self._known.get(tenant)) and known[0] == month:
            self._known[tenant] = (month, known[1] + usd)
        if not self._reachable():
            self._outage_rates.spend(tenant, tokens, limits)
            self._unflushed[tenant] = self._unflushed.get(tenant, 0.0) + usd
            return
        task = asyncio.get_running_loop().create_task(self._send_spend(tenant, tokens, usd, month, limits))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def aclose(self) -> None:
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self._redis.aclose()

    # -- Redis calls

    async def _run_admit(self, tenant: str, limits: Limits, month: tuple[int, int]) -> tuple[str, int, str]:
        keys = [_key("requests", tenant), _key("tokens", tenant)]
        keys += [_spend_key(month, tenant), _seeded_key(month)]
        args = [
            _or_none(limits.requests_per_minute),
            _or_none(limits.tokens_per_minute),
            _or_none(limits.monthly_budget_usd),
            secrets.token_hex(8),
        ]
        verdict, retry_after, spent = await self._admit(keys=keys, args=args)
        return _text(verdict), int(retry_after), _text(spent)

    async def _send_spend(
        self, tenant: str, tokens: int, usd: float, month: tuple[int, int], limits: Limits
    ) -> None:
        try:
            spent = await self._spend(
                keys=[_key("tokens", tenant), _spend_key(month, tenant)],
                args=[tokens, repr(usd), MONTH_KEY_TTL_SECONDS],
            )
        except (RedisError, OSError) as exc:
            self._down(exc)
            self._outage_rates.spend(tenant, tokens, limits)
            self._unflushed[tenant] = self._unflushed.get(tenant, 0.0) + usd
            return
        self._known[tenant] = (month, float(_text(spent)))

    async def _flush(self, tenant: str, month: tuple[int, int]) -> None:
        """Add the spend this process served while Redis was unreachable."""
        usd = self._unflushed.pop(tenant, 0.0)
        if usd > 0:
            try:
                await self._spend(
                    keys=[_key("tokens", tenant), _spend_key(month, tenant)],
                    args=[0, repr(usd), MONTH_KEY_TTL_SECONDS],
                )
            except BaseException:
                self._unflushed[tenant] = self._unflushed.get(tenant, 0.0) + usd
                raise

    async def _seed_month(self, month: tuple[int, int]) -> None:
        """Load this month's spend from the audit log into Redis, once for the whole fleet."""
        async with self._seeding:
            spent = dict(await asyncio.to_thread(self._month_spend)) if self._month_spend else {}
            tenants = sorted(spent)
            await self._seed(
                keys=[_seeded_key(month), *(_spend_key(month, tenant) for tenant in tenants)],
                args=[MONTH_KEY_TTL_SECONDS, *(repr(spent[tenant]) for tenant in tenants)],
            )

    # -- outage

    def _reachable(self) -> bool:
        return time.monotonic() >= self._skip_until

    def _down(self, exc: BaseException) -> None:
        if self._reachable():
            log.warning(
                "Redis unreachable (%s): rates counted per process, budgets on the last spend read",
                type(exc).__name__,
            )
        self._skip_until = time.monotonic() + RETRY_AFTER_OUTAGE_SECONDS

    def _admit_in_outage(self, tenant: str, limits: Limits, month: tuple[int, int]) -> None:
        if limits.monthly_budget_usd is not None:
            known = self._known.get(tenant)
            if known is None or known[0] != month:
                raise LimitsUnavailable(
                    "Budgets cannot be checked right now; retry shortly.", code="limits_unavailable"
                )
            if known[1] >= limits.monthly_budget_usd:
                raise _budget_exceeded(self._clock())
        self._outage_rates.admit(tenant, limits)


def _budget_exceeded(now: datetime) -> RateLimited:
    return RateLimited(
        "Monthly budget reached.", code="budget_exceeded", retry_after_seconds=seconds_until_next_month(now)
    )


def _key(kind: str, tenant: str) -> str:
    return f"{PREFIX}:{kind}:{tenant}"


def _spend_key(month: tuple[int, int], tenant: str) -> str:
    return f"{PREFIX}:spend:{month[0]:04d}-{month[1]:02d}:{tenant}"


def _seeded_key(month: tuple[int, int]) -> str:
    return f"{PREFIX}:seeded:{month[0]:04d}-{month[1]:02d}"


def _or_none(value: float | None) -> float | int:
    return -1 if value is None else value


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
