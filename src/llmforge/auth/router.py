from typing import Annotated

from fastapi import Cookie, Depends, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import ValidationError

from llmforge.admin import service as app_settings
from llmforge.audit import service as audit
from llmforge.auth import service, throttle
from llmforge.auth.deps import AdminUser, BearerToken, CurrentIdentity, CurrentUser, claimed_user_id
from llmforge.auth.models import ThrottleKind
from llmforge.auth.schemas import (
    AuthConfig,
    LoginLockRead,
    LoginRequest,
    OAuth2TokenResponse,
    PasswordChange,
    ProfileUpdate,
    RegisterRequest,
    TokenResponse,
)
from llmforge.core.client import ClientDep
from llmforge.core.deps import SessionFactoryDep, SettingsDep
from llmforge.core.errors import InvalidInput, NotFound
from llmforge.core.routing import CapabilityRouter
from llmforge.db import SessionDep
from llmforge.settings import Settings
from llmforge.users.schemas import UserRead

router = CapabilityRouter(prefix="/api/auth", tags=["auth"])

REFRESH_COOKIE = "llmforge_refresh"
REFRESH_PATH = "/api/auth/refresh"


def _set_refresh_cookie(
    response: Response, settings: Settings, tokens: service.IssuedTokens
) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        max_age=settings.refresh_token_days * 24 * 3600,
        path=REFRESH_PATH,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )


def _clear_refresh_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        REFRESH_COOKIE,
        path=REFRESH_PATH,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )


def _token_response(tokens: service.IssuedTokens) -> TokenResponse:
    return TokenResponse(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        user=UserRead.model_validate(tokens.user),
    )


@router.get("/config")
async def auth_config(session: SessionDep, settings: SettingsDep) -> AuthConfig:
    current = await app_settings.read(session, settings)
    return AuthConfig(registration_open=current.registration_open)


@router.post("/register", status_code=status.HTTP_201_CREATED)
async def register(
    data: RegisterRequest, session: SessionDep, settings: SettingsDep, client: ClientDep
) -> UserRead:
    return UserRead.model_validate(await service.register(session, settings, data, client))


@router.post("/login")
async def login(
    data: LoginRequest,
    response: Response,
    session: SessionDep,
    factory: SessionFactoryDep,
    settings: SettingsDep,
    client: ClientDep,
) -> TokenResponse:
    tokens = await service.login(session, factory, settings, data.email, data.password, client)
    _set_refresh_cookie(response, settings, tokens)
    return _token_response(tokens)


@router.post("/token", summary="Sign in with the OAuth2 password form (for /docs 'Authorize')")
async def oauth2_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    response: Response,
    session: SessionDep,
    factory: SessionFactoryDep,
    settings: SettingsDep,
    client: ClientDep,
) -> OAuth2TokenResponse:
    try:
        credentials = LoginRequest(email=form.username, password=form.password)
    except ValidationError:
        raise InvalidInput("username: enter the account's email address.") from None
    tokens = await service.login(
        session, factory, settings, credentials.email, credentials.password, client
    )
    _set_refresh_cookie(response, settings, tokens)
    return OAuth2TokenResponse(access_token=tokens.access_token)


@router.post("/refresh")
async def refresh(
    response: Response,
    session: SessionDep,
    factory: SessionFactoryDep,
    settings: SettingsDep,
    client: ClientDep,
    bearer: BearerToken,
    refresh_cookie: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
) -> TokenResponse:
    tokens = await service.refresh(
        session,
        factory,
        settings,
        refresh_cookie,
        client,
        claimed_user_id=claimed_user_id(bearer, settings.jwt_key),
    )
    _set_refresh_cookie(response, settings, tokens)
    return _token_response(tokens)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    identity: CurrentIdentity, session: SessionDep, settings: SettingsDep, client: ClientDep
) -> Response:
    await service.logout(session, identity, client)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    _clear_refresh_cookie(response, settings)
    return response


@router.get("/me")
async def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.patch("/me")
async def update_me(
    changes: ProfileUpdate, user: CurrentUser, session: SessionDep, client: ClientDep
) -> UserRead:
    return UserRead.model_validate(await service.update_profile(session, user, changes, client))


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    data: PasswordChange, identity: CurrentIdentity, session: SessionDep, client: ClientDep
) -> None:
    await service.change_password(session, identity, data, client)


@router.get("/locks")
async def list_locks(_: AdminUser, session: SessionDep) -> list[LoginLockRead]:
    return [
        LoginLockRead.model_validate(row, from_attributes=True)
        for row in await throttle.active_locks(session)
    ]


@router.delete("/locks/{kind}/{key:path}", status_code=status.HTTP_204_NO_CONTENT)
async def clear_lock(
    kind: ThrottleKind, key: str, admin: AdminUser, session: SessionDep, client: ClientDep
) -> None:
    if not await throttle.clear_lock(session, kind, key):
        raise NotFound(f"There is no login lock for {kind.value} {key}.", code="lock_not_found")
    await audit.record(
        session,
        "auth.lock_cleared",
        actor=admin,
        client=client,
        target_type=f"login_lock:{kind.value}",
        target_id=key,
    )
