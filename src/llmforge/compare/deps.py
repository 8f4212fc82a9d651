"""Lookups that check ownership, so no route can forget it, and the stop registry."""

from typing import Annotated

from fastapi import Depends, Path, Request

from llmforge.auth.deps import CurrentUser
from llmforge.compare import service
from llmforge.compare.models import CompareLane, CompareRun
from llmforge.compare.registry import LaneRegistry
from llmforge.db import SessionDep

RunId = Annotated[int, Path(ge=1, le=2**31 - 1)]
LaneId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def owned_run(run_id: RunId, user: CurrentUser, session: SessionDep) -> CompareRun:
    """The caller's own run; another user's is a 404, as if it did not exist."""
    return await service.owned_run(session, user, run_id)


OwnedRun = Annotated[CompareRun, Depends(owned_run)]


async def owned_lane(lane_id: LaneId, run: OwnedRun, session: SessionDep) -> CompareLane:
    return await service.lane_of(session, run, lane_id)


OwnedLane = Annotated[CompareLane, Depends(owned_lane)]


async def lane_registry(request: Request) -> LaneRegistry:
    registry: LaneRegistry = request.app.state.compare_lanes
    return registry


LaneRegistryDep = Annotated[LaneRegistry, Depends(lane_registry)]
