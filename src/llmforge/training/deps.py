"""The job lookup that checks ownership (another user's job is a 404) and the scheduler."""

from typing import Annotated

from fastapi import Depends, Path, Request

from llmforge.auth.deps import CurrentUser
from llmforge.db import SessionDep
from llmforge.training import service
from llmforge.training.models import TrainingJob
from llmforge.training.scheduler import TrainingScheduler

JobId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def owned_job(job_id: JobId, user: CurrentUser, session: SessionDep) -> TrainingJob:
    return await service.owned_job(session, user, job_id)


async def get_scheduler(request: Request) -> TrainingScheduler | None:
    """The in-process scheduler; None when jobs run in separate `llmforge worker` processes."""
    scheduler: TrainingScheduler | None = getattr(request.app.state, "training_scheduler", None)
    return scheduler


OwnedJob = Annotated[TrainingJob, Depends(owned_job)]
SchedulerDep = Annotated[TrainingScheduler | None, Depends(get_scheduler)]
