from typing import Annotated

from fastapi import Depends, Path, status

from llmforge.audit import service as audit
from llmforge.auth.deps import AdminUser, CurrentUser
from llmforge.base_models import service
from llmforge.base_models.models import BaseModel
from llmforge.base_models.schemas import (
    BaseModelCreate,
    BaseModelRead,
    BaseModelUpdate,
    TemplateList,
)
from llmforge.base_models.templates import known_templates
from llmforge.core.client import ClientDep
from llmforge.core.deps import SettingsDep
from llmforge.core.routing import CapabilityRouter
from llmforge.db import SessionDep

router = CapabilityRouter(prefix="/api/training/base-models", tags=["base-models"])
BaseModelId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def _base_model(base_model_id: BaseModelId, session: SessionDep) -> BaseModel:
    return await service.get_base_model(session, base_model_id)


ExistingBaseModel = Annotated[BaseModel, Depends(_base_model)]


@router.get("")
async def list_base_models(_: CurrentUser, session: SessionDep) -> list[BaseModelRead]:
    return [BaseModelRead.model_validate(row) for row in await service.list_base_models(session)]


@router.get("/templates")
async def list_templates(_: CurrentUser, settings: SettingsDep) -> TemplateList:
    """The chat templates the installed LLaMA-Factory knows, and where base models may live."""
    return TemplateList(
        templates=list(known_templates(settings.resolved_llamafactory_cli)),
        model_roots=[str(root) for root in settings.resolved_model_roots],
    )


@router.get("/{base_model_id}")
async def get_base_model(base_model: ExistingBaseModel, _: CurrentUser) -> BaseModelRead:
    return BaseModelRead.model_validate(base_model)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_base_model(
    data: BaseModelCreate,
    admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
) -> BaseModelRead:
    """Register a local Hugging Face directory inside LLMFORGE_MODEL_ROOTS (422
    `path_outside_roots`, `path_traversal`, `not_a_model_directory`, `unknown_template`)."""
    base_model = await service.create_base_model(session, settings, admin, data)
    await audit.record(
        session,
        "base_model.create",
        actor=admin,
        client=client,
        target_type="base_model",
        target_id=str(base_model.id),
        detail={"name": base_model.name, "path": base_model.path, "template": data.template},
    )
    return BaseModelRead.model_validate(base_model)


@router.patch("/{base_model_id}")
async def update_base_model(
    base_model: ExistingBaseModel,
    changes: BaseModelUpdate,
    admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
) -> BaseModelRead:
    changed = await service.update_base_model(session, settings, base_model, changes)
    if changed:
        await audit.record(
            session,
            "base_model.update",
            actor=admin,
            client=client,
            target_type="base_model",
            target_id=str(base_model.id),
            detail=changed,
        )
    return BaseModelRead.model_validate(base_model)


@router.delete("/{base_model_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_base_model(
    base_model: ExistingBaseModel, admin: AdminUser, session: SessionDep, client: ClientDep
) -> None:
    """409 `base_model_in_use` while a model version or training job refers to it."""
    detail = {"name": base_model.name, "path": base_model.path}
    target_id = str(base_model.id)
    await service.delete_base_model(session, base_model)
    await audit.record(
        session,
        "base_model.delete",
        actor=admin,
        client=client,
        target_type="base_model",
        target_id=target_id,
        detail=detail,
    )
