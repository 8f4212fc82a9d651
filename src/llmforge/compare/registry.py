"""Which lanes are streaming in this process, so that a stop request can end one of them.

The routes see only `LaneRegistry`; the in-process implementation below cancels the lane's
cancel scope, and with `LLMFORGE_REDIS_URL` stops are relayed to every server process."""

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol

import anyio
from redis.asyncio import Redis

from llmforge.core.redis import Subscription


class LaneRegistry(Protocol):
    def track(self, run_id: int, lane_id: int, scope: anyio.CancelScope) -> None:
        """A lane started streaming; cancelling `scope` ends it as interrupted."""

    def forget(self, run_id: int, lane_id: int) -> None:
        """The lane ended (however it ended)."""

    async def stop(self, run_id: int, lane_ids: Iterable[int] | None = None) -> set[int]:
        """Stop these lanes of the run (all of them when None); return the ids stopped."""
        ...


class LocalLaneRegistry:
    def __init__(self) -> None:
        self._runs: defaultdict[int, dict[int, anyio.CancelScope]] = defaultdict(dict)

    def track(self, run_id: int, lane_id: int, scope: anyio.CancelScope) -> None:
        self._runs[run_id][lane_id] = scope

    def forget(self, run_id: int, lane_id: int) -> None:
        lanes = self._runs.get(run_id)
        if lanes is not None:
            lanes.pop(lane_id, None)
            if not lanes:
                del self._runs[run_id]

    async def stop(self, run_id: int, lane_ids: Iterable[int] | None = None) -> set[int]:
        lanes = self._runs.get(run_id, {})
        wanted = set(lanes) if lane_ids is None else set(lane_ids) & set(lanes)
        for lane_id in wanted:
            lanes[lane_id].cancel()
        return wanted

    def running(self, run_id: int) -> set[int]:
        return set(self._runs.get(run_id, {}))


STOP_CHANNEL = "llmforge:compare:stop"


class RedisLaneRegistry:
    """A lane streams in whichever server process took its request, and a stop may reach any
    other: every stop is published over Redis and each process cancels the lanes it streams."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._local = LocalLaneRegistry()
        self._stops = Subscription(redis, STOP_CHANNEL, self._stopped)

    def track(self, run_id: int, lane_id: int, scope: anyio.CancelScope) -> None:
        self._local.track(run_id, lane_id, scope)

    def forget(self, run_id: int, lane_id: int) -> None:
        self._local.forget(run_id, lane_id)

    async def stop(self, run_id: int, lane_ids: Iterable[int] | None = None) -> set[int]:
        """Publish the stop to every process; return the lanes stopped in this one."""
        wanted = None if lane_ids is None else sorted(lane_ids)
        await self._redis.publish(STOP_CHANNEL, json.dumps({"run_id": run_id, "lanes": wanted}))
        return await self._local.stop(run_id, wanted)

    async def start(self) -> None:
        await self._stops.start()

    async def close(self) -> None:
        await self._stops.close()

    async def _stopped(self, data: str) -> None:
        stop = json.loads(data)
        await self._local.stop(stop["run_id"], stop["lanes"])
