"""Model versions: registered by succeeded training jobs (or by an admin from an adapter
directory), listed by their owners, served and exported through the supervisor."""

import asyncio
import re
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.base_models.models import BaseModel
from llmforge.base_models.paths import resolve_inside
from llmforge.base_models.service import check_template, model_directory
from llmforge.base_models.service import get_base_model as _get_base_model
from llmforge.core.errors import Conflict, InvalidInput, NotFound
from llmforge.core.pagination import PageParams, paginate
from llmforge.serving import registration
from llmforge.serving.models import ExportStatus, ModelVersion, ServeStatus
from llmforge.serving.schemas import VersionCreate
from llmforge.serving.supervisor import ACTIVE as ACTIVE_STATUSES
from llmforge.serving.supervisor import export_dir_of
from llmforge.settings import Settings
from llmforge.users.models import Role, User

FINETUNING_TYPES = ("lora", "freeze", "full")
NAME_MAX = 80
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


async def get_base_model(session: AsyncSession, base_model_id: int) -> BaseModel:
    """The base model (404 `base_model_not_found` when it does not exist)."""
    return await _get_base_model(session, base_model_id)


def safe_name(name: str) -> str:
    """A model id servers and clients accept: letters, digits, `.`, `_`, `-`."""
    cleaned = _UNSAFE.sub("-", name).strip("-.")[:NAME_MAX]
    return cleaned or "model"


NAME_ATTEMPTS = 5
"""Free names tried when other transactions keep taking the one just read."""


async def _free_name(session: AsyncSession, wanted: str) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`... when taken (names are unique: they are the
    served model ids)."""
    taken = set(
        await session.scalars(
            select(ModelVersion.name).where(
                func.lower(ModelVersion.name).startswith(wanted.lower())
            )
        )
    )
    taken_lower = {name.lower() for name in taken}
    candidate, number = wanted, 1
    while candidate.lower() in taken_lower:
        number += 1
        suffix = f"-{number}"
        candidate = wanted[: NAME_MAX - len(suffix)] + suffix
    return candidate


async def register_version(
    session: AsyncSession,
    *,
    user_id: int,
    name: str,
    base_model_id: int,
    adapter_path: Path | None,
    model_path: Path | None,
    template: str,
    finetuning_type: str,
    job_id: int | None,
) -> ModelVersion:
    """Add a version in the caller's transaction. An adapter (LoRA, freeze) or a full
    fine-tune's model directory is required; the name is made safe and unique."""
    if adapter_path is None and model_path is None:
        raise InvalidInput(
            "A model version needs an adapter directory or a model directory.",
            code="version_without_weights",
        )
    if finetuning_type not in FINETUNING_TYPES:
        raise InvalidInput(
            f"finetuning_type must be one of {', '.join(FINETUNING_TYPES)}.",
            code="unknown_finetuning_type",
        )
    await get_base_model(session, base_model_id)
    for _ in range(NAME_ATTEMPTS):
        version = ModelVersion(
            user_id=user_id,
            name=await _free_name(session, safe_name(name)),
            base_model_id=base_model_id,
            adapter_path=str(adapter_path) if adapter_path is not None else None,
            model_path=str(model_path) if model_path is not None else None,
            template=template,
            finetuning_type=finetuning_type,
            job_id=job_id,
        )
        try:
            async with session.begin_nested():
                session.add(version)
            return version
        except IntegrityError as exc:
            # another transaction took the same free name since it was read (two jobs with
            # one output name finishing together): the next free name now sees it
            if "uq_model_versions_name" not in str(exc.orig):
                raise
    raise Conflict(
        "Could not find a free name for the version; please try again.",
        code="version_name_taken",
    )


async def owned_version(session: AsyncSession, user: User, version_id: int) -> ModelVersion:
    """The version if `user` owns it or is an admin; 404 otherwise."""
    version = await session.get(ModelVersion, version_id)
    if version is None or (version.user_id != user.id and user.role is not Role.admin):
        raise NotFound(f"Model version {version_id} does not exist.", code="version_not_found")
    return version


async def list_versions(
    session: AsyncSession, user: User, params: PageParams
) -> tuple[list[ModelVersion], int]:
    """The user's own versions; an admin sees everyone's. Newest first."""
    statement = select(ModelVersion).order_by(ModelVersion.id.desc())
    if user.role is not Role.admin:
        statement = statement.where(ModelVersion.user_id == user.id)
    return await paginate(session, statement, params)


async def _adapter_directory(settings: Settings, raw: str) -> Path:
    roots = [*settings.resolved_model_roots, settings.data_dir.resolve()]
    path = await asyncio.to_thread(resolve_inside, raw, roots, field="adapter_path")
    if not await asyncio.to_thread((path / "adapter_config.json").is_file):
        raise InvalidInput(
            f"adapter_path: {raw} has no adapter_config.json.", code="not_an_adapter_directory"
        )
    return path


async def create_version(
    session: AsyncSession, settings: Settings, admin: User, data: VersionCreate
) -> ModelVersion:
    """An admin registers an existing adapter (or full model) directory as a version."""
    base_model = await get_base_model(session, data.base_model_id)
    if (data.adapter_path is None) == (data.model_path is None):
        raise InvalidInput(
            "Give either adapter_path (LoRA, freeze) or model_path (full fine-tune).",
            code="version_without_weights",
        )
    template = check_template(settings, data.template or base_model.template)
    clash = await session.scalar(
        select(ModelVersion.id).where(func.lower(ModelVersion.name) == data.name.lower())
    )
    if clash is not None:
        raise Conflict(f"A model version named '{data.name}' exists.", code="version_name_taken")
    adapter = await _adapter_directory(settings, data.adapter_path) if data.adapter_path else None
    model = await model_directory(settings, data.model_path) if data.model_path else None
    return await register_version(
        session,
        user_id=admin.id,
        name=data.name,
        base_model_id=base_model.id,
        adapter_path=adapter,
        model_path=model,
        template=template,
        finetuning_type="full" if model is not None else data.finetuning_type,
        job_id=None,
    )


async def request_serve(session: AsyncSession, settings: Settings, version: ModelVersion) -> None:
    """Mark the version `starting` (the supervisor takes over after the commit)."""
    if version.status in ACTIVE_STATUSES or version.status is ServeStatus.stopping:
        raise Conflict(
            f"Model version '{version.name}' is already {version.status.value}.",
            code="already_serving",
        )
    active = await session.scalar(
        select(func.count())
        .select_from(ModelVersion)
        .where(ModelVersion.status.in_(ACTIVE_STATUSES))
    )
    if (active or 0) >= settings.serving_max_servers:
        raise Conflict(
            f"{active} model versions are served already (the limit is "
            f"{settings.serving_max_servers}); stop one first.",
            code="too_many_served",
        )
    version.status, version.last_error, version.restarts = ServeStatus.starting, None, 0
    await session.flush()


def check_stoppable(version: ModelVersion) -> None:
    if version.status in (ServeStatus.stopped, ServeStatus.stopping):
        raise Conflict(f"Model version '{version.name}' is not served.", code="not_serving")


async def request_export(session: AsyncSession, settings: Settings, version: ModelVersion) -> None:
    """Mark the export `running` (the supervisor runs it after the commit)."""
    if version.adapter_path is None:
        raise Conflict(
            "This version is a full model already; there is no adapter to merge.",
            code="nothing_to_merge",
        )
    if version.export_status is ExportStatus.running:
        raise Conflict("An export of this version is running.", code="export_running")
    version.export_status, version.export_error = ExportStatus.running, None
    version.export_dir = str(export_dir_of(settings, version.id))
    await session.flush()


async def delete_version(session: AsyncSession, version: ModelVersion) -> None:
    """The caller has stopped its processes; its chat provider and model go with it."""
    await registration.remove(session, version)
    await session.delete(version)
    await session.flush()
