from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from llmforge.auth.models import ThrottleKind
from llmforge.users.schemas import DisplayName, Email, Password, UserRead


class RegisterRequest(BaseModel):
    email: Email
    password: Password
    display_name: DisplayName | None = None


class LoginRequest(BaseModel):
    email: Email
    password: str


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int
    user: UserRead


class OAuth2TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type


class ProfileUpdate(BaseModel):
    display_name: DisplayName | None = None


class PasswordChange(BaseModel):
    current_password: str
    new_password: Password


class AuthConfig(BaseModel):
    registration_open: bool


class LoginLockRead(BaseModel):
    kind: ThrottleKind
    key: str
    failures: int
    locked_until: datetime
