from typing import Any

from fastapi import status
from sqlalchemy import select

from llmforge.audit import service as audit
from llmforge.auth.deps import AdminUser, CurrentUser
from llmforge.core.client import ClientDep
from llmforge.core.deps import SettingsDep, UsageRecorderDep
from llmforge.core.ids import RowId
from llmforge.core.routing import CapabilityRouter
from llmforge.core.timerange import Since, Until, window
from llmforge.db import SessionDep
from llmforge.usage import quotas, service
from llmforge.usage.models import UserQuota
from llmforge.usage.schemas import BudgetRead, MyUsage, QuotaRead, QuotaUpdate
from llmforge.users import service as users
from llmforge.users.models import User

router = CapabilityRouter(prefix="/api/usage", tags=["usage"])


@router.get("/me")
async def my_usage(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    recorder: UsageRecorderDep,
    since: Since = None,
    until: Until = None,
) -> MyUsage:
    start, end = window(since, until)
    budget = await quotas.budget_of(session, settings, recorder, user.id)
    return MyUsage.model_validate(
        {
            "since": start,
            "until": end,
            "totals": await service.totals(session, start, end, user.id),
            "by_day": await service.by_day(session, start, end, user.id),
            "by_model": await service.by_model(session, start, end, user.id),
            "by_day_and_model": await service.by_model(session, start, end, user.id, daily=True),
            "budget": BudgetRead.model_validate(budget, from_attributes=True),
        }
    )


async def _quota_read(
    session: SessionDep, settings: SettingsDep, recorder: UsageRecorderDep, user: User
) -> QuotaRead:
    budget = await quotas.budget_of(session, settings, recorder, user.id)
    return QuotaRead.model_validate(
        {
            **BudgetRead.model_validate(budget, from_attributes=True).model_dump(),
            "user_id": user.id,
            "email": user.email,
        }
    )


@router.get("/quotas")
async def list_quotas(
    _: AdminUser, session: SessionDep, settings: SettingsDep, recorder: UsageRecorderDep
) -> list[QuotaRead]:
    """Users with a budget of their own (everyone else has the default from the settings)."""
    rows = await session.scalars(
        select(User).join(UserQuota, UserQuota.user_id == User.id).order_by(User.email)
    )
    return [await _quota_read(session, settings, recorder, user) for user in rows]


@router.get("/quotas/{user_id}")
async def get_quota(
    user_id: RowId,
    _: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    recorder: UsageRecorderDep,
) -> QuotaRead:
    return await _quota_read(session, settings, recorder, await users.get(session, user_id))


@router.put("/quotas/{user_id}")
async def set_quota(
    user_id: RowId,
    data: QuotaUpdate,
    admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    recorder: UsageRecorderDep,
    client: ClientDep,
) -> QuotaRead:
    user = await users.get(session, user_id)
    quota = await session.get(UserQuota, user_id) or UserQuota(user_id=user_id)
    quota.monthly_token_limit, quota.monthly_cost_limit = (
        data.monthly_token_limit,
        data.monthly_cost_limit,
    )
    session.add(quota)
    await session.flush()
    detail: dict[str, Any] = data.model_dump(mode="json")
    await audit.record(session, "quota.set", actor=admin, client=client, target=user, detail=detail)
    return await _quota_read(session, settings, recorder, user)


@router.delete("/quotas/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def reset_quota(
    user_id: RowId, admin: AdminUser, session: SessionDep, client: ClientDep
) -> None:
    user = await users.get(session, user_id)
    quota = await session.get(UserQuota, user_id)
    if quota is not None:
        await session.delete(quota)
        await audit.record(session, "quota.reset", actor=admin, client=client, target=user)
