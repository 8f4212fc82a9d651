from fastapi import status
from sse_starlette import EventSourceResponse

from llmforge.auth.deps import CurrentUser
from llmforge.chat.router import SSE_PING_SECONDS, STREAM_RESPONSE, TurnServicesDep
from llmforge.chat.schemas import SessionRead
from llmforge.compare import service, streaming
from llmforge.compare.deps import LaneRegistryDep, OwnedLane, OwnedRun
from llmforge.compare.models import LaneStatus
from llmforge.compare.schemas import CompareCreate, CompareRunRead, CompareRunSummary, Vote
from llmforge.core.errors import Conflict
from llmforge.core.pagination import Page, PageParamsDep
from llmforge.core.routing import CapabilityRouter
from llmforge.db import SessionDep
from llmforge.dify.chat import lane_apps

router = CapabilityRouter(prefix="/api/compare", tags=["compare"])


@router.post("", responses=STREAM_RESPONSE)
async def start_comparison(
    body: CompareCreate,
    user: CurrentUser,
    session: SessionDep,
    services: TurnServicesDep,
    registry: LaneRegistryDep,
) -> EventSourceResponse:
    """Send one prompt to 2-6 models at once and stream their answers as Server-Sent Events:
    `run` (the stored run with its lane ids), then per lane `reasoning`, `content`, `usage`,
    `error` (each with `lane_id`) and `lane_done` (the stored lane), and finally `done`
    (the stored run). Everything is checked before any model is called."""
    spec = await streaming.spec_from_request(session, user, body)
    run = await streaming.start_run(session, user, spec, services)
    return EventSourceResponse(streaming.stream_run(run, services, registry), ping=SSE_PING_SECONDS)


@router.get("")
async def list_comparisons(
    user: CurrentUser, session: SessionDep, params: PageParamsDep
) -> Page[CompareRunSummary]:
    """Your comparisons, newest first."""
    items, total = await service.history(session, user, params)
    return Page(items=items, total=total, page=params.page, page_size=params.page_size)


@router.get("/{run_id}")
async def get_comparison(run: OwnedRun, session: SessionDep) -> CompareRunRead:
    return await service.read(session, run)


@router.delete("/{run_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_comparison(run: OwnedRun, session: SessionDep, registry: LaneRegistryDep) -> None:
    await registry.stop(run.id)
    await service.delete(session, run)


@router.post("/{run_id}/stop", status_code=status.HTTP_204_NO_CONTENT)
async def stop_comparison(run: OwnedRun, session: SessionDep, registry: LaneRegistryDep) -> None:
    """Stop every lane still answering; each ends as interrupted with what it had."""
    lanes = await service.lanes_of(session, run)
    if all(lane.status is not LaneStatus.streaming for lane in lanes):
        raise Conflict("Every lane of this comparison has finished.", code="run_finished")
    await registry.stop(run.id)


@router.post("/{run_id}/lanes/{lane_id}/stop", status_code=status.HTTP_204_NO_CONTENT)
async def stop_lane(run: OwnedRun, lane: OwnedLane, registry: LaneRegistryDep) -> None:
    """Stop one lane; it ends as interrupted and the others go on."""
    if lane.status is not LaneStatus.streaming:
        raise Conflict("This lane has already finished.", code="lane_finished")
    await registry.stop(run.id, [lane.id])


@router.post("/{run_id}/vote")
async def vote(run: OwnedRun, body: Vote, session: SessionDep) -> CompareRunRead:
    """Pick a winner and/or rate answers 1-5; a blind run is revealed by voting."""
    return await service.vote(session, run, body)


@router.post("/{run_id}/reveal")
async def reveal(run: OwnedRun, session: SessionDep) -> CompareRunRead:
    """Show which model answered in which lane of a blind run, without voting."""
    return await service.reveal(session, run)


@router.post("/{run_id}/rerun", responses=STREAM_RESPONSE)
async def rerun(
    run: OwnedRun,
    user: CurrentUser,
    session: SessionDep,
    services: TurnServicesDep,
    registry: LaneRegistryDep,
) -> EventSourceResponse:
    """A new run with the same prompt, system prompt, models and parameters (streamed like
    `POST /api/compare`)."""
    lanes = await service.lanes_of(session, run)
    spec = streaming.spec_from_run(run, lanes, await lane_apps(session, lanes))
    new_run = await streaming.start_run(session, user, spec, services)
    return EventSourceResponse(
        streaming.stream_run(new_run, services, registry), ping=SSE_PING_SECONDS
    )


@router.post("/{run_id}/lanes/{lane_id}/continue", status_code=status.HTTP_201_CREATED)
async def continue_as_chat(
    run: OwnedRun, lane: OwnedLane, user: CurrentUser, session: SessionDep
) -> SessionRead:
    """Go on chatting with this lane's model: a new chat session holding the prompt and this
    answer."""
    return SessionRead.model_validate(await service.continue_as_chat(session, user, run, lane))
