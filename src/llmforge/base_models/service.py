"""Base models: admins register local model directories; everyone may list them."""

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.base_models.inspection import inspect_model
from llmforge.base_models.models import BaseModel
from llmforge.base_models.paths import resolve_inside
from llmforge.base_models.schemas import BaseModelCreate, BaseModelUpdate
from llmforge.base_models.templates import known_templates
from llmforge.core.errors import Conflict, InvalidInput, NotFound
from llmforge.settings import Settings
from llmforge.users.models import User


def check_template(settings: Settings, template: str) -> str:
    if template not in known_templates(settings.resolved_llamafactory_cli):
        raise InvalidInput(
            f"template: LLaMA-Factory has no chat template '{template}'.",
            code="unknown_template",
        )
    return template


async def model_directory(settings: Settings, raw: str) -> Path:
    """A model directory inside the model roots with a config.json (422 otherwise)."""
    path = await asyncio.to_thread(resolve_inside, raw, settings.resolved_model_roots)
    if not await asyncio.to_thread((path / "config.json").is_file):
        raise InvalidInput(
            f"path: {raw} has no config.json; give a Hugging Face model directory.",
            code="not_a_model_directory",
        )
    return path


async def get_base_model(session: AsyncSession, base_model_id: int) -> BaseModel:
    base_model = await session.get(BaseModel, base_model_id)
    if base_model is None:
        raise NotFound(f"Base model {base_model_id} does not exist.", code="base_model_not_found")
    return base_model


async def list_base_models(session: AsyncSession) -> list[BaseModel]:
    return list(await session.scalars(select(BaseModel).order_by(BaseModel.name)))


async def _ensure_name_free(session: AsyncSession, name: str, own_id: int | None = None) -> None:
    clash = await session.scalar(
        select(BaseModel.id).where(func.lower(BaseModel.name) == name.lower())
    )
    if clash is not None and clash != own_id:
        raise Conflict(f"A base model named '{name}' already exists.", code="base_model_name_taken")


async def _apply_path(settings: Settings, base_model: BaseModel, raw: str) -> None:
    path = await model_directory(settings, raw)
    facts = await asyncio.to_thread(inspect_model, path)
    base_model.path = str(path)
    base_model.architecture = facts.architecture
    base_model.parameter_count = facts.parameter_count
    base_model.size_bytes = facts.size_bytes


async def create_base_model(
    session: AsyncSession, settings: Settings, admin: User, data: BaseModelCreate
) -> BaseModel:
    check_template(settings, data.template)
    await _ensure_name_free(session, data.name)
    base_model = BaseModel(
        name=data.name, template=data.template, description=data.description, created_by=admin.id
    )
    await _apply_path(settings, base_model, data.path)
    session.add(base_model)
    await session.flush()
    return base_model


async def update_base_model(
    session: AsyncSession, settings: Settings, base_model: BaseModel, changes: BaseModelUpdate
) -> dict[str, Any]:
    """Apply what was given; return what changed (for the audit entry)."""
    fields = changes.model_dump(exclude_unset=True, exclude_none=True)
    if "template" in fields:
        check_template(settings, fields["template"])
    if "name" in fields:
        await _ensure_name_free(session, fields["name"], base_model.id)
    old_path = base_model.path
    if "path" in fields:
        await _apply_path(settings, base_model, fields.pop("path"))
    changed = {name: value for name, value in fields.items() if getattr(base_model, name) != value}
    for name, value in changed.items():
        setattr(base_model, name, value)
    if base_model.path != old_path:
        changed["path"] = base_model.path
    await session.flush()
    return changed


async def delete_base_model(session: AsyncSession, base_model: BaseModel) -> None:
    """Refused (409) while a model version or a training job still refers to it."""
    try:
        async with session.begin_nested():  # a savepoint: the session stays usable
            await session.delete(base_model)
    except IntegrityError:
        raise Conflict(
            f"Base model '{base_model.name}' is used by model versions or training jobs.",
            code="base_model_in_use",
        ) from None
