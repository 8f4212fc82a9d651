"""Who is calling from where: the client address and user agent, for audit and throttling."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

USER_AGENT_MAX = 512


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None
    user_agent: str | None


async def client_info(request: Request) -> ClientInfo:
    agent = request.headers.get("user-agent")
    return ClientInfo(
        ip=request.client.host if request.client else None,
        user_agent=agent[:USER_AGENT_MAX] if agent else None,
    )


ClientDep = Annotated[ClientInfo, Depends(client_info)]
