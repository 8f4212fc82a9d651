"""The key named in the path, if it is the caller's (another user's key is a 404)."""

from typing import Annotated

from fastapi import Depends

from llmforge.api_keys import service
from llmforge.api_keys.models import ApiKey
from llmforge.auth.deps import CurrentUser
from llmforge.core.ids import RowId
from llmforge.db import SessionDep


async def owned_key(key_id: RowId, user: CurrentUser, session: SessionDep) -> ApiKey:
    return await service.owned_key(session, user, key_id)


OwnedKey = Annotated[ApiKey, Depends(owned_key)]
