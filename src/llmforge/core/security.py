"""Passwords, access tokens and opaque refresh tokens.

Hashing is CPU-bound (Argon2id takes tens of milliseconds), so the async helpers run it in a
worker thread and never block the event loop.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio
import jwt
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

from llmforge.db import utcnow

JWT_ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "access"  # noqa: S105 - a claim value, not a secret

# Argon2id first: new hashes use it; bcrypt hashes still verify and are upgraded on login.
password_hasher = PasswordHash((Argon2Hasher(), BcryptHasher()))


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(password_hasher.hash, password)


async def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """Return (matches, new hash when the stored one should be upgraded)."""
    return await anyio.to_thread.run_sync(
        password_hasher.verify_and_update, password, password_hash
    )


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    role: str
    session_id: str
    expires_at: datetime


def create_access_token(
    *, key: str, user_id: int, role: str, session_id: str, lifetime: timedelta
) -> str:
    now = utcnow()
    payload = {
        "sub": str(user_id),
        "role": role,
        "sid": session_id,
        "typ": ACCESS_TOKEN_TYPE,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(payload, key, algorithm=JWT_ALGORITHM)


def decode_access_token(token: str, *, key: str, verify_expiry: bool = True) -> AccessClaims:
    """Raise jwt.InvalidTokenError (or its ExpiredSignatureError subclass) when not valid."""
    payload = jwt.decode(
        token,
        key,
        algorithms=[JWT_ALGORITHM],
        options={"require": ["sub", "exp", "sid", "typ"], "verify_exp": verify_expiry},
    )
    if payload["typ"] != ACCESS_TOKEN_TYPE or not str(payload["sub"]).isdigit():
        raise jwt.InvalidTokenError("not an access token")
    return AccessClaims(
        user_id=int(payload["sub"]),
        role=str(payload.get("role", "")),
        session_id=str(payload["sid"]),
        expires_at=datetime.fromtimestamp(payload["exp"], tz=UTC),
    )


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def hash_opaque_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SecretBox:
    """Encrypts secrets at rest (Fernet). Several comma-separated keys may be configured: the
    first encrypts, all decrypt, so keys can be rotated without losing stored secrets."""

    def __init__(self, keys: str) -> None:
        self._fernet = MultiFernet(
            [Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()]
        )

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "A stored secret cannot be decrypted with the configured LLMFORGE_ENCRYPTION_KEY."
            ) from None

    def rotate(self, token: str) -> str:
        """Re-encrypt with the first (newest) key."""
        return self._fernet.rotate(token.encode()).decode()


class SecretUnreadable(RuntimeError):
    pass


def mask_secret(secret: str) -> str:
    """Enough to recognise a key, never enough to use it: `sk-…a1b2`."""
    if len(secret) <= 8:
        return "…" * (1 if secret else 0)
    prefix = secret[:3] if secret[:3].isascii() else ""
    return f"{prefix}…{secret[-4:]}"
