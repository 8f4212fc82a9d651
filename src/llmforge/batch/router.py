import asyncio
from pathlib import PurePath
from typing import Annotated, Any, Literal

from fastapi import BackgroundTasks, Query, Request, status
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from llmforge.auth.deps import CurrentUser
from llmforge.batch import parsing, service
from llmforge.batch.deps import OwnedRun, OwnedSet, RunnerDep
from llmforge.batch.schemas import (
    ResultPage,
    RowPage,
    RowRead,
    RunCreate,
    RunDetail,
    RunModel,
    RunRead,
    SetCreate,
    SetDetail,
    SetRead,
)
from llmforge.core.deps import SettingsDep, UsageRecorderDep
from llmforge.core.errors import InvalidInput, describe_validation_errors
from llmforge.core.pagination import Page, PageParamsDep
from llmforge.core.routing import CapabilityRouter
from llmforge.db import SessionDep

router = CapabilityRouter(prefix="/api/batch-tests", tags=["batch-tests"])

CREATE_SET_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "name": {"type": "string", "maxLength": 200},
                        "format": {"type": "string", "enum": ["csv", "jsonl"]},
                    },
                }
            },
            "application/json": {"schema": SetCreate.model_json_schema()},
        },
    }
}


def _set_read(test_set: Any) -> SetRead:
    return SetRead.model_validate(test_set)


async def _from_upload(request: Request) -> tuple[str, str, parsing.ParseResult]:
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput("Attach the test set as the form field 'file'.", code="file_required")
    data = await upload.read()
    chosen = form.get("format")
    if chosen not in (None, "", "csv", "jsonl"):
        raise InvalidInput("format must be csv or jsonl.", code="invalid_format")
    file_format: Literal["csv", "jsonl"] = (
        "csv" if chosen == "csv" else "jsonl" if chosen == "jsonl" else None
    ) or parsing.detect_format(upload.filename, data)
    given = form.get("name")
    name = given.strip() if isinstance(given, str) and given.strip() else ""
    name = (name or PurePath(upload.filename or "").stem or "Test set")[:200]
    parsed = await asyncio.to_thread(parsing.parse_file, data, file_format)
    return name, file_format, parsed


async def _from_json(request: Request) -> tuple[str, str, parsing.ParseResult]:
    try:
        data = SetCreate.model_validate_json(await request.body())
    except ValidationError as exc:
        message, details = describe_validation_errors(list(exc.errors()))
        raise InvalidInput(message, details=details) from None
    parsed = await asyncio.to_thread(parsing.parse_rows, data.rows)
    return data.name, "json", parsed


@router.post("/sets", status_code=status.HTTP_201_CREATED, openapi_extra=CREATE_SET_BODY)
async def create_set(request: Request, user: CurrentUser, session: SessionDep) -> SetRead:
    """Upload a CSV or JSONL file (multipart: `file`, optional `name`, `format`) or send
    `{name, rows}` as JSON. Columns: prompt (required), reference, system_prompt, tags (`;`-
    separated in CSV, a list in JSONL). Any problem → 422 `invalid_test_set` with
    `details.errors` [{row, message}] (the first 50) and `details.error_count`; nothing is
    created."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        name, source, parsed = await _from_upload(request)
    elif content_type.startswith("application/json"):
        name, source, parsed = await _from_json(request)
    else:
        raise InvalidInput(
            "Send a multipart upload (field 'file') or a JSON body {name, rows}.",
            code="unsupported_body",
        )
    return _set_read(await service.create_set(session, user, name, source, parsed))


@router.get("/sets")
async def list_sets(user: CurrentUser, session: SessionDep, params: PageParamsDep) -> Page[SetRead]:
    rows, total = await service.list_sets(session, user, params)
    return Page(
        items=[_set_read(row) for row in rows],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.get("/sets/{set_id}")
async def get_set(test_set: OwnedSet, session: SessionDep, params: PageParamsDep) -> SetDetail:
    """The set with one page of its rows (`page`, `page_size`)."""
    rows, total = await service.set_rows(session, test_set, params)
    page = RowPage(
        items=[RowRead.model_validate(row) for row in rows],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )
    return SetDetail(**_set_read(test_set).model_dump(), rows=page)


@router.put("/sets/{set_id}")
async def replace_set(test_set: OwnedSet, data: SetCreate, session: SessionDep) -> SetRead:
    """Rename a set and replace all its rows with `{name, rows}` (validated like a new set;
    it becomes a set built in the page). 409 `test_set_has_runs` once the set has runs."""
    parsed = await asyncio.to_thread(parsing.parse_rows, data.rows)
    return _set_read(await service.replace_set(session, test_set, data.name, parsed))


@router.delete("/sets/{set_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_set(test_set: OwnedSet, session: SessionDep) -> None:
    """Also deletes the set's runs; refused (409 `test_set_in_use`) while one is active."""
    await service.delete_set(session, test_set)


@router.post("/runs", status_code=status.HTTP_201_CREATED)
async def create_run(
    data: RunCreate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    recorder: UsageRecorderDep,
    runner: RunnerDep,
    background: BackgroundTasks,
) -> RunRead:
    """Queue a run of a test set against 1-10 models; the background runner executes it."""
    run = await service.create_run(session, settings, recorder, user, data)
    background.add_task(runner.wake)  # after the request's transaction committed
    return service.run_read(run)


@router.get("/runs")
async def list_runs(
    user: CurrentUser,
    session: SessionDep,
    params: PageParamsDep,
    set_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Page[RunRead]:
    rows, total = await service.list_runs(session, user, params, set_id)
    return Page(
        items=[service.run_read(row) for row in rows],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.get("/runs/{run_id}")
async def get_run(run: OwnedRun, session: SessionDep) -> RunDetail:
    """Status, progress with ETA, and the summary per model."""
    return await service.run_detail(session, run)


@router.post("/runs/{run_id}/cancel")
async def cancel_run(
    run: OwnedRun, session: SessionDep, runner: RunnerDep, background: BackgroundTasks
) -> RunRead:
    """Stop a queued or running run (409 `run_not_active` otherwise); results so far stay."""
    await service.cancel_run(session, run)
    background.add_task(runner.cancel, run.id)
    return service.run_read(run)


@router.delete("/runs/{run_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_run(run: OwnedRun, session: SessionDep) -> None:
    await service.delete_run(session, run)


@router.get("/runs/{run_id}/results")
async def run_results(run: OwnedRun, session: SessionDep, params: PageParamsDep) -> ResultPage:
    """The matrix, one page of rows at a time: each row with a cell per model (null while it
    is not done)."""
    rows, total = await service.results_page(session, run, params)
    return ResultPage(
        items=rows,
        total=total,
        page=params.page,
        page_size=params.page_size,
        models=[RunModel.model_validate(model) for model in run.models],
    )


@router.get("/runs/{run_id}/export", response_class=Response)
async def export_run(
    run: OwnedRun, session: SessionDep, format: Literal["csv", "json"] = "csv"
) -> Response:
    """Every cell as CSV (one line per row x model) or the run, summary and matrix as JSON."""
    rows = await service.all_results(session, run)
    filename = f"batch-run-{run.id}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "json":
        detail = await service.run_detail(session, run)
        body = await asyncio.to_thread(service.export_json, detail, rows)
        return Response(body, media_type="application/json", headers=headers)
    text = await asyncio.to_thread(service.export_csv, run, rows)
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
