"""Model versions: registered by succeeded training jobs (or by an admin from an adapter
directory), listed by their owners, served and exported through the supervisor."""

import re
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.base_models.models import BaseModel
from llmforge.base_models.service import get_base_model as _get_base_model
from llmforge.core.errors import InvalidInput, NotFound
from llmforge.core.pagination import PageParams, paginate
from llmforge.serving.models import ModelVersion
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
    session.add(version)
    await session.flush()
    return version


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
