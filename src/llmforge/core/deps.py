"""Dependencies on what the application was built with: its settings and session factory."""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from llmforge.core.security import SecretBox
from llmforge.llm.clients import ClientRegistry
from llmforge.settings import Settings
from llmforge.usage.recorder import UsageRecorder


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session_factory(request: Request) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    return factory


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionFactoryDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_session_factory)]


async def get_secret_box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.secret_box
    return box


async def get_llm_clients(request: Request) -> ClientRegistry:
    clients: ClientRegistry = request.app.state.llm_clients
    return clients


SecretBoxDep = Annotated[SecretBox, Depends(get_secret_box)]
LLMClientsDep = Annotated[ClientRegistry, Depends(get_llm_clients)]


async def get_usage_recorder(request: Request) -> UsageRecorder:
    recorder: UsageRecorder = request.app.state.usage_recorder
    return recorder


UsageRecorderDep = Annotated[UsageRecorder, Depends(get_usage_recorder)]
