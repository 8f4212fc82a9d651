"""Which lanes are streaming in this process, so that a stop request can end one of them.

The routes see only `LaneRegistry`; the in-process implementation below cancels the lane's
cancel scope. A multi-process deployment swaps in one that also relays stops over Redis."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol

import anyio


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
