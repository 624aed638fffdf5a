"""The one way this package opens Redis: the `redis` client's asyncio API, RESP2 replies as bytes with
no reply callbacks, timeouts longer than any blocking read we make, and raw commands (`call`), so that
every reply is the plain list or bytes the protocol gives (typed Any here, parsed in keys.py)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

BLOCK_MS = 2000  # an XREAD BLOCK waits at most this long, so a reader notices a closing server
SOCKET_TIMEOUT_S = 10.0  # > BLOCK_MS: a silent, dead connection is noticed, a blocked read is not cut
BROKER_ERRORS = (RedisError, OSError)  # a refused, reset or timed-out connection, or a bad reply


def connect(url: str) -> aioredis.Redis:
    client = aioredis.Redis.from_url(
        url,
        protocol=2,
        socket_connect_timeout=2,
        socket_timeout=SOCKET_TIMEOUT_S,
        health_check_interval=5,
    )
    client.response_callbacks = {}  # raw replies: lists and bytes, parsed in keys.py (also in pipelines)
    return client


async def call(client: aioredis.Redis, *args: Any) -> Any:
    return await client.execute_command(*args)  # type: ignore[no-untyped-call]
