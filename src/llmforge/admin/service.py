"""Settings an admin changes at run time, stored in the database over the env defaults."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.admin.models import AppSetting
from llmforge.admin.schemas import AppSettingsRead, AppSettingsUpdate
from llmforge.settings import Settings

NULLABLE = {"default_monthly_token_limit", "default_monthly_cost_limit"}


def _defaults(settings: Settings) -> dict[str, Any]:
    return {
        "registration_open": settings.registration_open,
        "default_monthly_token_limit": None,
        "default_monthly_cost_limit": None,
    }


async def read(session: AsyncSession, settings: Settings) -> AppSettingsRead:
    values = _defaults(settings)
    stored = await session.scalars(select(AppSetting).where(AppSetting.key.in_(values)))
    values.update({setting.key: setting.value for setting in stored})
    return AppSettingsRead.model_validate(values)


async def update(
    session: AsyncSession, settings: Settings, changes: AppSettingsUpdate
) -> tuple[AppSettingsRead, dict[str, Any]]:
    """Store the changes; return the new settings and {key: new value} for what changed."""
    current = (await read(session, settings)).model_dump(mode="json")
    given = changes.model_dump(mode="json", exclude_unset=True)
    changed = {
        key: value
        for key, value in given.items()
        if (value is not None or key in NULLABLE) and current[key] != value
    }
    for key, value in changed.items():
        stored = await session.get(AppSetting, key)
        if stored is None:
            session.add(AppSetting(key=key, value=value))
        else:
            stored.value = value
    await session.flush()
    return AppSettingsRead.model_validate({**current, **changed}), changed
