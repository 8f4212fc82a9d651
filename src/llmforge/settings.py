"""Configuration: every setting is an `LLMFORGE_*` environment variable (or a `.env` line).

The embedded default keeps everything under `data_dir`: the SQLite file and a secrets file
generated once with mode 0600. In production the secrets must come from the environment.
"""

import json
import os
import secrets
import shutil
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
SECRET_NAMES = ("secret_key", "encryption_key")


class Environment(StrEnum):
    development = "development"
    production = "production"


class ConfigurationError(RuntimeError):
    """The configuration cannot work; the message says which variable to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LLMFORGE_", env_file=".env", extra="ignore")

    env: Environment = Environment.development
    data_dir: Path = Path("data")
    database_url: str = ""
    public_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr | None = None
    encryption_key: SecretStr | None = None
    cookie_secure: bool | None = None
    access_token_minutes: Annotated[int, Field(gt=0)] = 15
    refresh_token_days: Annotated[int, Field(gt=0)] = 7
    registration_open: bool = True
    admin_email: str = "admin@example.com"
    admin_password: SecretStr | None = None
    login_max_failures_per_account: Annotated[int, Field(gt=0)] = 5
    login_max_failures_per_ip: Annotated[int, Field(gt=0)] = 20
    login_window_minutes: Annotated[int, Field(gt=0)] = 15
    max_request_body_bytes: Annotated[int, Field(gt=0)] = 10 * 1024 * 1024
    # How long a request waits for a free database connection before 503 server_busy.
    database_pool_timeout_seconds: Annotated[float, Field(gt=0)] = 30.0
    # Dataset uploads stream to disk under their own limit (413 over it).
    dataset_max_bytes: Annotated[int, Field(gt=0)] = 200 * 1024 * 1024
    log_level: str = "INFO"
    # Browser origins (scheme://host[:port], comma-separated) allowed to call the API from
    # other sites; empty = same origin only.
    cors_origins: Annotated[list[str], NoDecode] = []
    # Outbound guard for provider and Dify base URLs: when on, hosts that resolve to private,
    # loopback or link-local addresses are refused unless listed in outbound_allow (host names
    # or CIDR ranges, comma-separated). Off by default: Ollama usually runs on localhost.
    outbound_guard: bool = False
    outbound_allow: Annotated[list[str], NoDecode] = []
    web_dist: Path = Path(__file__).resolve().parents[2] / "web" / "dist"
    # LLaMA-Factory (training and serving) runs in its own environment, never imported here.
    lf_home: Path | None = None
    llamafactory_cli: str = ""
    # Base models must lie inside one of these directories (JSON list; default data_dir/models).
    model_roots: list[Path] = []
    serving_infer_backend: Literal["huggingface", "vllm", "sglang"] = "huggingface"
    serving_max_servers: Annotated[int, Field(ge=1)] = 2
    serving_ready_timeout_seconds: Annotated[float, Field(gt=0)] = 300.0
    serving_max_restarts: Annotated[int, Field(ge=0)] = 3
    serving_restart_backoff_seconds: Annotated[float, Field(ge=0)] = 2.0
    serving_stop_timeout_seconds: Annotated[float, Field(gt=0)] = 15.0
    # Training jobs: "0,1" (GPU ids), "none" (one CPU slot), or empty (ask nvidia-smi).
    training_gpus: str = ""
    training_in_process_scheduler: bool = True
    training_max_running_per_user: Annotated[int, Field(ge=1)] = 2
    training_max_gpus_per_job: Annotated[int, Field(ge=1)] = 8
    training_poll_seconds: Annotated[float, Field(gt=0)] = 0.5
    training_heartbeat_seconds: Annotated[float, Field(gt=0)] = 5.0
    training_lease_seconds: Annotated[float, Field(gt=0)] = 60.0
    training_graceful_stop_seconds: Annotated[float, Field(gt=0)] = 120.0
    training_kill_timeout_seconds: Annotated[float, Field(gt=0)] = 15.0
    # "local": llamafactory-cli on this host; "ray": submitted to the Ray cluster at ray_address
    # (its Jobs API, e.g. http://head:8265); job folders must be on a filesystem shared with it.
    training_executor: Literal["local", "ray"] = "local"
    ray_address: str = ""
    evaluation_max_tokens: Annotated[int, Field(ge=1, le=32768)] = 256
    """Answer length in the base-vs-fine-tuned evaluation, for served models with none set."""

    # Knowledge bases: embedded Qdrant under data_dir/qdrant unless a server URL is given.
    qdrant_url: str = ""
    qdrant_api_key: SecretStr | None = None
    knowledge_max_document_bytes: Annotated[int, Field(gt=0)] = 8 * 1024 * 1024
    knowledge_embed_batch_size: Annotated[int, Field(ge=1, le=2048)] = 32
    knowledge_max_concurrent_ingestions: Annotated[int, Field(ge=1)] = 2
    # Shared by every server process of a deployment (redis://, rediss:// or unix://): API-key
    # rate limits, comparison stops and training-job wake-ups. Empty = one process, in memory.
    redis_url: str = ""
    stream_heartbeat_seconds: Annotated[float, Field(gt=0)] = 10.0
    """With Redis (several processes): how often each process vouches for the answers it
    streams; those of a process silent for three beats are marked interrupted."""

    @field_validator("cors_origins", "outbound_allow", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, url: str) -> str:
        if url and urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
            raise ValueError("use a redis://, rediss:// or unix:// URL")
        return url

    @field_validator("cors_origins")
    @classmethod
    def _explicit_origins(cls, origins: list[str]) -> list[str]:
        if "*" in origins:
            raise ValueError("list the allowed origins one by one: '*' would expose every user")
        return [origin.rstrip("/") for origin in origins]

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'llmforge.db').resolve()}"

    @property
    def resolved_llamafactory_cli(self) -> str:
        """LLMFORGE_LLAMAFACTORY_CLI, else LF_HOME's venv when it has one, else the PATH's."""
        if self.llamafactory_cli:
            return self.llamafactory_cli
        if self.lf_home is not None:
            candidate = self.lf_home / "venv" / "bin" / "llamafactory-cli"
            if candidate.is_file():
                return str(candidate)
        return shutil.which("llamafactory-cli") or "llamafactory-cli"

    @property
    def resolved_model_roots(self) -> list[Path]:
        roots = self.model_roots or [self.data_dir / "models"]
        return [root.resolve() for root in roots]

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        """Secure unless explicitly on plain http on a loopback host."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        url = urlsplit(self.public_url)
        return not (url.scheme == "http" and url.hostname in LOOPBACK_HOSTS)

    @cached_property
    def secrets(self) -> dict[str, str]:
        """JWT signing key and encryption key: from env, else from the data dir's secrets file."""
        from_env = {
            name: value.get_secret_value()
            for name in SECRET_NAMES
            if (value := getattr(self, name)) is not None
        }
        missing = [name for name in SECRET_NAMES if name not in from_env]
        if missing and self.env is Environment.production:
            variables = ", ".join(f"LLMFORGE_{name.upper()}" for name in missing)
            raise ConfigurationError(
                f"Production mode needs secrets from the environment: set {variables} "
                "(for example to the output of `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`; the encryption key is a Fernet key: "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`)."
            )
        if not missing:
            return from_env
        return {**load_or_create_secrets_file(self.data_dir / "secrets.json"), **from_env}

    @property
    def jwt_key(self) -> str:
        return self.secrets["secret_key"]


def load_or_create_secrets_file(path: Path) -> dict[str, str]:
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        if all(name in stored for name in SECRET_NAMES):
            return stored
    path.parent.mkdir(parents=True, exist_ok=True)
    generated = {
        "secret_key": secrets.token_urlsafe(48),
        "encryption_key": Fernet.generate_key().decode(),
    }
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(generated, handle)
    os.chmod(path, 0o600)
    return generated
