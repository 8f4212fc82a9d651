"""Datasets in the database and on disk: create from an upload, look up, page through, delete."""

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.core.errors import Conflict, InvalidInput, NotFound
from llmforge.core.pagination import PageParams, paginate
from llmforge.datasets import build, stats, storage
from llmforge.datasets.models import Dataset
from llmforge.training.models import ACTIVE_STATUSES, TrainingJob
from llmforge.users.models import Role, User


@dataclass(frozen=True)
class NewDataset:
    name: str
    description: str
    options: build.BuildOptions


def resolve_tokenizer(base_model_path: str | None, model_roots: list[Path]) -> stats.Tokenizer:
    """The tokenizer.json of a base model directory inside the model roots, else the
    estimate. A path outside the roots, or with `..`, is refused."""
    if not base_model_path:
        return stats.estimate_tokenizer()
    given = Path(base_model_path)
    resolved = given.resolve()
    inside = any(resolved.is_relative_to(root) for root in model_roots)
    if ".." in given.parts or not given.is_absolute() or not inside:
        raise InvalidInput(
            "The base model path must be an absolute path inside the configured model roots.",
            code="model_path_not_allowed",
            details={"model_roots": [str(root) for root in model_roots]},
        )
    tokenizer_file = resolved / "tokenizer.json" if resolved.is_dir() else resolved
    if tokenizer_file.name != "tokenizer.json" or not tokenizer_file.is_file():
        raise InvalidInput(f"No tokenizer.json in {base_model_path}.", code="tokenizer_not_found")
    return stats.file_tokenizer(tokenizer_file)


async def _next_version(session: AsyncSession, user: User, name: str) -> int:
    latest = await session.scalar(
        select(func.max(Dataset.version)).where(Dataset.user_id == user.id, Dataset.name == name)
    )
    return (latest or 0) + 1


async def create_dataset(
    session: AsyncSession, user: User, data_dir: Path, scratch: Path, new: NewDataset
) -> Dataset:
    """Build the dataset from `scratch/upload` and publish `scratch` as its directory. On an
    error the caller removes `scratch`; nothing else has been written."""
    upload = scratch / storage.UPLOAD
    built = await anyio.to_thread.run_sync(build.build, upload, scratch, new.options)
    upload.unlink()
    dataset = Dataset(
        user_id=user.id,
        name=new.name,
        version=await _next_version(session, user, new.name),
        description=new.description,
        format=built.format,
        has_preferences=built.has_preferences,
        source_name=new.options.filename[:255],
        record_count=built.record_count,
        train_count=built.train_count,
        heldout_count=built.heldout_count,
        split_percent=new.options.split_percent,
        split_seed=new.options.split_seed,
        size_bytes=built.size_bytes,
        sha256=built.sha256,
        stats=built.stats,
    )
    session.add(dataset)
    await session.flush()
    dataset.storage_dir = storage.publish(scratch, data_dir, dataset.id)
    await session.flush()
    return dataset


async def visible_dataset(session: AsyncSession, user: User, dataset_id: int) -> Dataset:
    """The dataset if `user` owns it or is an admin; another user's is a 404."""
    dataset = await session.get(Dataset, dataset_id)
    if dataset is None or (dataset.user_id != user.id and user.role != Role.admin):
        raise NotFound(f"Dataset {dataset_id} does not exist.", code="dataset_not_found")
    return dataset


async def list_datasets(
    session: AsyncSession, user: User, params: PageParams
) -> tuple[list[Dataset], int]:
    statement = (
        select(Dataset)
        .where(Dataset.user_id == user.id)
        .order_by(Dataset.created_at.desc(), Dataset.id.desc())
    )
    return await paginate(session, statement, params)


def _read_page(path: Path, params: PageParams) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as source:
        lines = itertools.islice(source, params.offset, params.offset + params.page_size)
        return [
            {"index": params.offset + number, **json.loads(line)}
            for number, line in enumerate(lines, start=1)
        ]


async def records_page(
    dataset: Dataset, data_dir: Path, params: PageParams
) -> list[dict[str, Any]]:
    """One page of records in upload order: {index (1-based), line, heldout, record}."""
    path = data_dir / dataset.storage_dir / storage.RECORDS
    return await anyio.to_thread.run_sync(_read_page, path, params)


def _restat(dataset: Dataset, path: Path, cutoff_len: int) -> dict[str, Any]:
    saved = json.loads(path.read_text())
    finding = stats.over_cutoff(saved["lengths"], saved["lines"], cutoff_len)
    lint = dataset.stats["lint"] | {"over_cutoff": finding.as_dict()}
    return dataset.stats | {"cutoff_len": cutoff_len, "lint": lint}


async def dataset_stats(dataset: Dataset, data_dir: Path, cutoff_len: int | None) -> dict[str, Any]:
    """The stored statistics; with another cutoff, the over-cutoff count for that cutoff."""
    if cutoff_len is None or cutoff_len == dataset.stats["cutoff_len"]:
        return dataset.stats
    path = data_dir / dataset.storage_dir / storage.LENGTHS
    return await anyio.to_thread.run_sync(_restat, dataset, path, cutoff_len)


async def _job_count(session: AsyncSession, dataset_id: int, *, active_only: bool) -> int:
    """Training jobs on the dataset."""
    statement = (
        select(func.count()).select_from(TrainingJob).where(TrainingJob.dataset_id == dataset_id)
    )
    if active_only:
        statement = statement.where(TrainingJob.status.in_(ACTIVE_STATUSES))
    return await session.scalar(statement) or 0


async def ensure_not_in_use(session: AsyncSession, dataset_id: int) -> None:
    """Conflict `dataset_in_use` while a training job that is pending, queued or running uses
    the dataset; `dataset_has_jobs` while finished jobs still refer to it (their retry, resume
    and report need it)."""
    active = await _job_count(session, dataset_id, active_only=True)
    if active:
        raise Conflict(
            "A training job that is pending, queued or running uses this dataset: cancel it or "
            "let it finish first.",
            code="dataset_in_use",
            details={"active_jobs": active},
        )
    finished = await _job_count(session, dataset_id, active_only=False)
    if finished:
        raise Conflict(
            f"{finished} finished training job(s) refer to this dataset: delete them first.",
            code="dataset_has_jobs",
            details={"jobs": finished},
        )


async def delete_dataset(session: AsyncSession, dataset: Dataset, data_dir: Path) -> None:
    await ensure_not_in_use(session, dataset.id)
    relative = dataset.storage_dir
    await session.delete(dataset)
    await session.flush()
    if relative:
        await anyio.to_thread.run_sync(storage.remove, data_dir / relative)
