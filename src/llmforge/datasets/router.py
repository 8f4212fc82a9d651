from pathlib import Path, PurePath
from typing import Annotated, Any

import anyio
from fastapi import Query, Request, status

from llmforge.audit import service as audit
from llmforge.auth.deps import CurrentUser
from llmforge.core.client import ClientDep
from llmforge.core.deps import SettingsDep
from llmforge.core.errors import InvalidInput, PayloadTooLarge
from llmforge.core.pagination import Page, PageParamsDep
from llmforge.core.routing import CapabilityRouter
from llmforge.datasets import build, service, storage
from llmforge.datasets.deps import VisibleDataset
from llmforge.datasets.models import Dataset
from llmforge.datasets.schemas import (
    CutoffLen,
    DatasetDetail,
    DatasetRead,
    DatasetStats,
    DatasetUpload,
    RecordRead,
)
from llmforge.db import SessionDep

UPLOAD_PATH = "/api/datasets"
"""Exempt from the app's body size limit: the upload streams to disk under its own."""
router = CapabilityRouter(prefix=UPLOAD_PATH, tags=["datasets"])

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


async def _receive(request: Request, target: Path, limit: int) -> None:
    """Stream the body into `target`; PayloadTooLarge as soon as it passes `limit`."""
    too_large = PayloadTooLarge(
        f"The dataset is larger than the limit of {limit} bytes.",
        code="dataset_too_large",
        details={"max_bytes": limit},
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    received = 0
    async with await anyio.open_file(target, "wb") as out:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise too_large
            await out.write(chunk)
    if received == 0:
        raise InvalidInput("The uploaded file is empty.", code="empty_dataset")


def _new_dataset(params: DatasetUpload, tokenizer: Any) -> service.NewDataset:
    filename = PurePath(params.filename).name
    return service.NewDataset(
        name=params.name or PurePath(filename).stem[:200] or "Dataset",
        description=params.description,
        options=build.BuildOptions(
            filename=filename,
            format=None if params.format == "auto" else params.format,
            split_percent=params.split_percent,
            split_seed=params.split_seed,
            cutoff_len=params.cutoff_len,
            tokenizer=tokenizer,
        ),
    )


def _detail(dataset: Dataset) -> DatasetDetail:
    return DatasetDetail.model_validate(dataset)


@router.post("", status_code=status.HTTP_201_CREATED, openapi_extra=UPLOAD_BODY)
async def upload_dataset(
    request: Request,
    params: Annotated[DatasetUpload, Query()],
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
) -> DatasetDetail:
    """Upload a dataset: the body is the file (JSON array, JSON Lines or CSV with alpaca
    columns), streamed to disk; over LLMFORGE_DATASET_MAX_BYTES → 413 `dataset_too_large`.
    Every record is checked: any bad one → 422 `invalid_dataset` with `details.errors`
    [{line, message}] (the first 50) and `details.error_count`; a split that leaves nothing to
    train or hold out → 422 `dataset_too_short`. On any error nothing is kept."""
    tokenizer = await anyio.to_thread.run_sync(
        service.resolve_tokenizer, params.base_model_path, settings.resolved_model_roots
    )
    scratch = await anyio.to_thread.run_sync(storage.scratch_dir, settings.data_dir)
    try:
        await _receive(request, scratch / storage.UPLOAD, settings.dataset_max_bytes)
        dataset = await service.create_dataset(
            session, user, settings.data_dir, scratch, _new_dataset(params, tokenizer)
        )
    except BaseException:
        storage.remove(scratch)
        raise
    await audit.record(
        session,
        "dataset.upload",
        actor=user,
        client=client,
        target_type="dataset",
        target_id=str(dataset.id),
        detail={"name": dataset.name, "version": dataset.version, "records": dataset.record_count},
    )
    return _detail(dataset)


@router.get("")
async def list_datasets(
    user: CurrentUser, session: SessionDep, params: PageParamsDep
) -> Page[DatasetRead]:
    """The user's own datasets, newest first."""
    rows, total = await service.list_datasets(session, user, params)
    return Page(
        items=[DatasetRead.model_validate(row) for row in rows],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.get("/{dataset_id}")
async def get_dataset(dataset: VisibleDataset) -> DatasetDetail:
    return _detail(dataset)


@router.get("/{dataset_id}/stats")
async def get_stats(
    dataset: VisibleDataset,
    settings: SettingsDep,
    cutoff_len: Annotated[CutoffLen | None, Query()] = None,
) -> DatasetStats:
    """The statistics; `cutoff_len` recounts the records over another cutoff."""
    found = await service.dataset_stats(dataset, settings.data_dir, cutoff_len)
    return DatasetStats.model_validate(found)


@router.get("/{dataset_id}/records")
async def list_records(
    dataset: VisibleDataset, settings: SettingsDep, params: PageParamsDep
) -> Page[RecordRead]:
    """One page of the normalized records, in upload order."""
    rows = await service.records_page(dataset, settings.data_dir, params)
    return Page(
        items=[RecordRead.model_validate(row) for row in rows],
        total=dataset.record_count,
        page=params.page,
        page_size=params.page_size,
    )


@router.delete("/{dataset_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_dataset(
    dataset: VisibleDataset,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
) -> None:
    """Refused (409 `dataset_in_use`) while a pending, queued or running job uses it."""
    detail = {"name": dataset.name, "version": dataset.version}
    target_id = str(dataset.id)
    await service.delete_dataset(session, dataset, settings.data_dir)
    await audit.record(
        session,
        "dataset.delete",
        actor=user,
        client=client,
        target_type="dataset",
        target_id=target_id,
        detail=detail,
    )
