from typing import Annotated, Any

from fastapi import Query, status

from llmforge.audit import service as audit
from llmforge.auth.deps import AdminUser
from llmforge.core.client import ClientDep
from llmforge.core.ids import RowId
from llmforge.core.pagination import Page, PageParamsDep
from llmforge.core.routing import CapabilityRouter
from llmforge.db import SessionDep
from llmforge.users import service
from llmforge.users.models import Role
from llmforge.users.schemas import PasswordReset, UserCreate, UserRead, UserUpdate

router = CapabilityRouter(prefix="/api/users", tags=["users"])


@router.get("")
async def list_users(
    _: AdminUser,
    session: SessionDep,
    params: PageParamsDep,
    q: Annotated[str | None, Query(max_length=200, description="email or name contains")] = None,
    role: Role | None = None,
    is_active: bool | None = None,
) -> Page[UserRead]:
    rows, total = await service.search(session, params, query=q, role=role, is_active=is_active)
    return Page(
        items=[UserRead.model_validate(row) for row in rows],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_user(
    data: UserCreate, admin: AdminUser, session: SessionDep, client: ClientDep
) -> UserRead:
    user = await service.create(session, data)
    await audit.record(
        session,
        "user.create",
        actor=admin,
        client=client,
        target=user,
        detail={"email": user.email, "role": user.role.value},
    )
    return UserRead.model_validate(user)


@router.get("/{user_id}")
async def get_user(user_id: RowId, _: AdminUser, session: SessionDep) -> UserRead:
    return UserRead.model_validate(await service.get(session, user_id))


@router.patch("/{user_id}")
async def update_user(
    user_id: RowId, changes: UserUpdate, admin: AdminUser, session: SessionDep, client: ClientDep
) -> UserRead:
    user = await service.get(session, user_id)
    changed: dict[str, Any] = await service.update_user(session, user, changes)
    if changed:
        await audit.record(
            session, "user.update", actor=admin, client=client, target=user, detail=changed
        )
    return UserRead.model_validate(user)


@router.post("/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT)
async def reset_password(
    user_id: RowId, data: PasswordReset, admin: AdminUser, session: SessionDep, client: ClientDep
) -> None:
    user = await service.get(session, user_id)
    await service.set_password(session, user, data.new_password)
    await service.revoke_sessions(session, user.id)
    await audit.record(session, "user.password_reset", actor=admin, client=client, target=user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(
    user_id: RowId, admin: AdminUser, session: SessionDep, client: ClientDep
) -> None:
    user = await service.get(session, user_id)
    detail = {"email": user.email}
    await service.delete_user(session, user)
    await audit.record(
        session,
        "user.delete",
        actor=admin,
        client=client,
        target_type="user",
        target_id=str(user_id),
        detail=detail,
    )
