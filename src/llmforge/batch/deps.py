"""Lookups that check ownership (another user's set or run is a 404), and the runner."""

from typing import Annotated

from fastapi import Depends, Path, Request

from llmforge.auth.deps import CurrentUser
from llmforge.batch import service
from llmforge.batch.models import BatchRun, BatchTestSet
from llmforge.batch.runner import BatchRunner
from llmforge.db import SessionDep

SetId = Annotated[int, Path(ge=1, le=2**31 - 1)]
RunId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def owned_set(set_id: SetId, user: CurrentUser, session: SessionDep) -> BatchTestSet:
    return await service.owned_set(session, user, set_id)


async def owned_run(run_id: RunId, user: CurrentUser, session: SessionDep) -> BatchRun:
    return await service.owned_run(session, user, run_id)


async def get_runner(request: Request) -> BatchRunner:
    runner: BatchRunner = request.app.state.batch_runner
    return runner


OwnedSet = Annotated[BatchTestSet, Depends(owned_set)]
OwnedRun = Annotated[BatchRun, Depends(owned_run)]
RunnerDep = Annotated[BatchRunner, Depends(get_runner)]
