"""Who is calling: `CurrentIdentity`, `CurrentUser` and `AdminUser` dependencies."""

from typing import Annotated

import jwt
from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from llmforge.auth.service import Identity, identity_for
from llmforge.core.deps import SettingsDep
from llmforge.core.errors import Forbidden, Unauthorized
from llmforge.core.security import decode_access_token
from llmforge.db import SessionDep
from llmforge.users.models import Role, User

bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)
BearerToken = Annotated[str | None, Depends(bearer)]


async def current_identity(
    session: SessionDep, settings: SettingsDep, token: BearerToken
) -> Identity:
    if not token:
        raise Unauthorized("Sign in to continue.", code="not_authenticated")
    try:
        claims = decode_access_token(token, key=settings.jwt_key)
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Your access token has expired.", code="token_expired") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("The access token is not valid.", code="invalid_token") from None
    identity = await identity_for(session, claims.user_id, claims.session_id)
    if identity is None:
        raise Unauthorized("Your session has ended. Please sign in again.", code="session_ended")
    return identity


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


async def current_user(identity: CurrentIdentity) -> User:
    return identity.user


CurrentUser = Annotated[User, Depends(current_user)]


async def admin_user(user: CurrentUser) -> User:
    if user.role is not Role.admin:
        raise Forbidden("This needs the admin role.", code="admin_required")
    return user


AdminUser = Annotated[User, Depends(admin_user)]


def claimed_user_id(token: str | None, key: str) -> int | None:
    """The user an access token names, even expired; None when there is none or it is forged."""
    if not token:
        return None
    try:
        return decode_access_token(token, key=key, verify_expiry=False).user_id
    except jwt.InvalidTokenError:
        return None
