"""Runs served model versions: one asyncio task per version starts `llamafactory-cli api`,
waits for /v1/models, registers the chat model, and restarts the server when it dies (bounded,
with backoff) until the version is stopped. Exports run as tasks of their own.

One server process per data directory supervises (it holds `serving/supervisor.lock`); with
`--workers N` the others only write requests to the database (`starting`, export `running`),
which the supervising process picks up within a second, and stop servers by their process
group. Served models listen on loopback, so serving belongs to one host.

On start-up, versions left `starting` or `serving` by a previous run are started again (any
surviving LLaMA-Factory process of theirs is killed first); `stopping` ones become `stopped`
and interrupted exports `failed`."""

import asyncio
import contextlib
import logging
import secrets
import signal
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from llmforge.base_models.models import BaseModel
from llmforge.core.security import SecretBox
from llmforge.db import transaction, utcnow
from llmforge.llm.clients import ClientRegistry
from llmforge.serving import process, registration
from llmforge.serving.models import ExportStatus, ModelVersion, ServeStatus
from llmforge.settings import Settings

logger = logging.getLogger("llmforge.serving")
READY_POLL_SECONDS = 0.5
WATCH_SECONDS = 1.0
ACTIVE = (ServeStatus.starting, ServeStatus.serving)


@dataclass(frozen=True)
class SupervisorServices:
    settings: Settings
    box: SecretBox
    clients: ClientRegistry
    factory: async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Launch:
    """What one server process needs, read from the database before it starts."""

    config: dict[str, object]
    workdir: Path
    name: str


class VersionGone(Exception):
    """The version row was deleted while its server ran."""


def workdir_of(settings: Settings, version_id: int) -> Path:
    return settings.data_dir.resolve() / "serving" / f"version-{version_id}"


def export_dir_of(settings: Settings, version_id: int) -> Path:
    return settings.data_dir.resolve() / "exports" / f"version-{version_id}"


def model_config(version: ModelVersion, base_model: BaseModel) -> dict[str, object]:
    """The model part of a serve or export YAML."""
    config: dict[str, object] = {
        "model_name_or_path": version.model_path or base_model.path,
        "template": version.template,
        "finetuning_type": version.finetuning_type,
        "trust_remote_code": False,
    }
    if version.adapter_path:
        config["adapter_name_or_path"] = version.adapter_path
    return config


class ServingSupervisor:
    def __init__(self, services: SupervisorServices) -> None:
        self.services = services
        self.settings = services.settings
        self._serving: dict[int, asyncio.Task[None]] = {}
        self._exports: dict[int, asyncio.Task[None]] = {}
        self._lock: process.FileLock | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._http = httpx.AsyncClient(timeout=2.0)

    # ---- database helpers --------------------------------------------------------------
    async def _with_version(
        self, version_id: int, work: Callable[[AsyncSession, ModelVersion], Awaitable[Any]]
    ) -> Any:
        async with transaction(self.services.factory) as session:
            version = await session.get(ModelVersion, version_id)
            if version is None:
                raise VersionGone(version_id)
            return await work(session, version)

    async def _set(self, version_id: int, **fields: Any) -> None:
        async def apply(_: AsyncSession, version: ModelVersion) -> None:
            for name, value in fields.items():
                setattr(version, name, value)

        await self._with_version(version_id, apply)

    async def _launch(self, version_id: int) -> Launch:
        async def read(session: AsyncSession, version: ModelVersion) -> Launch:
            base_model = await session.get(BaseModel, version.base_model_id)
            assert base_model is not None  # the foreign key guarantees it
            config = model_config(version, base_model)
            config["infer_backend"] = self.settings.serving_infer_backend
            return Launch(config, workdir_of(self.settings, version.id), version.name)

        result: Launch = await self._with_version(version_id, read)
        return result

    # ---- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """Become the supervising process if no other one is, recover what a previous run
        left behind, serve what was being served and watch for requests."""
        self._lock = process.try_lock(self.settings.data_dir.resolve() / "serving")
        if self._lock is None:
            return
        async with transaction(self.services.factory) as session:
            versions = await session.scalars(
                select(ModelVersion).where(
                    ModelVersion.status.in_((*ACTIVE, ServeStatus.stopping))
                    | (ModelVersion.export_status == ExportStatus.running)
                )
            )
            for version in versions:
                self._recover(version)
        await self._pick_up()
        self._watcher = asyncio.create_task(self._watch(), name="serving-watch")

    @staticmethod
    def _recover(version: ModelVersion) -> None:
        if version.pid and process.is_llamafactory_process(version.pid):
            process.signal_group(version.pid, signal.SIGKILL)
        version.pid = None
        if version.export_status is ExportStatus.running:
            version.export_status = ExportStatus.failed
            version.export_error = "The export was interrupted by a server restart."
        if version.status in ACTIVE:
            version.status = ServeStatus.starting
        elif version.status is ServeStatus.stopping:
            version.status, version.port = ServeStatus.stopped, None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                await self._pick_up()
            except Exception:  # the database may be away for a moment; try again later
                logger.exception("looking for serving requests failed")

    async def _pick_up(self) -> None:
        """Start what other server processes were asked for (or a previous run left)."""
        async with transaction(self.services.factory) as session:
            rows = (
                await session.execute(
                    select(ModelVersion.id, ModelVersion.status, ModelVersion.export_status).where(
                        (ModelVersion.status == ServeStatus.starting)
                        | (ModelVersion.export_status == ExportStatus.running)
                    )
                )
            ).all()
        for version_id, status, export_status in rows:
            if status is ServeStatus.starting:
                await self.serve(version_id)
            if export_status is ExportStatus.running:
                await self.export(version_id)

    async def shutdown(self) -> None:
        """Stop every child process; served versions keep their status, so the next start-up
        serves them again."""
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
        await self.stop_children()
        await self._http.aclose()
        if self._lock is not None:
            self._lock.close()

    async def stop_children(self) -> None:
        """Cancel every server and export task; each stops its own process on the way out.
        The rows are left as they are."""
        tasks = [*self._serving.values(), *self._exports.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def supervising(self) -> bool:
        """This process holds the serving lock: it runs the servers."""
        return self._lock is not None

    def is_running(self, version_id: int) -> bool:
        task = self._serving.get(version_id)
        return task is not None and not task.done()

    async def serve(self, version_id: int) -> None:
        """Start supervising (the caller has set the status to `starting` and committed).
        In a process that does not supervise, the supervising one picks it up instead."""
        if self._lock is None or self.is_running(version_id):
            return
        task = asyncio.create_task(self._supervise(version_id), name=f"serve-{version_id}")
        self._serving[version_id] = task
        task.add_done_callback(lambda done: self._forget(self._serving, version_id, done))

    @staticmethod
    def _forget(tasks: dict[int, asyncio.Task[None]], key: int, done: asyncio.Task[None]) -> None:
        if tasks.get(key) is done:
            del tasks[key]

    async def stop(self, version_id: int) -> None:
        """Stop the server (SIGTERM to its group, SIGKILL after the timeout) and disable its
        chat model; the version ends `stopped`."""
        pid = await self._mark_stopping(version_id)
        task = self._serving.get(version_id)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        elif pid is not None and process.is_llamafactory_process(pid):
            # served by another server process: its supervisor sees `stopping` and lets go
            await process.stop_pid_group(pid, self.settings.serving_stop_timeout_seconds)
        await self._finish(version_id, ServeStatus.stopped, None)

    async def _mark_stopping(self, version_id: int) -> int | None:
        async def apply(_: AsyncSession, version: ModelVersion) -> int | None:
            version.status = ServeStatus.stopping
            return version.pid

        pid: int | None = await self._with_version(version_id, apply)
        return pid

    async def _stopping(self, version_id: int) -> bool:
        async def read(_: AsyncSession, version: ModelVersion) -> bool:
            return version.status in (ServeStatus.stopping, ServeStatus.stopped)

        stopping: bool = await self._with_version(version_id, read)
        return stopping

    async def forget_version(self, version_id: int) -> None:
        """Kill whatever runs for a version about to be deleted."""
        for tasks in (self._serving, self._exports):
            if (task := tasks.get(version_id)) is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        pid = await self._mark_stopping(version_id)
        if pid is not None and process.is_llamafactory_process(pid):
            await process.stop_pid_group(pid, self.settings.serving_stop_timeout_seconds)

    async def _finish(self, version_id: int, status: ServeStatus, error: str | None) -> None:
        async def apply(session: AsyncSession, version: ModelVersion) -> None:
            version.status, version.pid, version.port = status, None, None
            if error is not None:
                version.last_error = error
            await registration.unregister(session, version)
            if version.provider_id is not None:
                await self.services.clients.release(str(version.provider_id))

        await self._with_version(version_id, apply)

    # ---- one version's supervision --------------------------------------------------------
    async def _supervise(self, version_id: int) -> None:
        failures = 0
        try:
            while True:
                error = await self._run_once(version_id)
                if await self._stopping(version_id):
                    return
                failures += 1
                logger.warning("model version %s server failed: %s", version_id, error[-300:])
                if failures > self.settings.serving_max_restarts:
                    await self._finish(version_id, ServeStatus.error, error)
                    return
                await self._crashed(version_id, error)
                backoff = self.settings.serving_restart_backoff_seconds * 2 ** (failures - 1)
                await asyncio.sleep(backoff)
        except VersionGone:
            logger.info("model version %s was deleted; its server is stopped", version_id)
        except Exception as exc:  # the database or a bug: never leave the version "starting"
            logger.exception("supervising model version %s failed", version_id)
            with contextlib.suppress(Exception):
                await self._finish(version_id, ServeStatus.error, f"The supervisor failed: {exc}")

    async def _crashed(self, version_id: int, error: str) -> None:
        async def apply(session: AsyncSession, version: ModelVersion) -> None:
            version.status, version.pid, version.last_error = ServeStatus.starting, None, error
            version.restarts += 1
            await registration.unregister(session, version)

        await self._with_version(version_id, apply)

    async def _run_once(self, version_id: int) -> str:
        """Run one server process until it ends; return why it ended. A stop on purpose
        cancels the task instead."""
        launch = await self._launch(version_id)
        port, api_key = _free_port(), secrets.token_urlsafe(32)
        serve_yaml = process.write_yaml(launch.workdir / "serve.yaml", launch.config)
        log_path = launch.workdir / "server.log"
        env = process.child_env(
            API_HOST="127.0.0.1", API_PORT=str(port), API_KEY=api_key, API_MODEL_NAME=launch.name
        )
        cli = self.settings.resolved_llamafactory_cli
        try:
            child = await process.spawn(
                cli, ["api", str(serve_yaml)], workdir=launch.workdir, log_path=log_path, env=env
            )
        except OSError as exc:
            return f"Could not start {cli}: {exc}"
        try:
            await self._set(version_id, pid=child.pid, port=port)
            if not await self._wait_ready(child, port, api_key):
                return self._failure(child, log_path, "did not become ready")
            if not await self._ready(version_id, port, api_key):
                return "stopped while it was starting"
            await child.wait()
            return self._failure(child, log_path, "stopped unexpectedly")
        finally:
            if child.returncode is None:
                await process.stop_group(child, self.settings.serving_stop_timeout_seconds)

    def _failure(self, child: asyncio.subprocess.Process, log_path: Path, what: str) -> str:
        code = child.returncode
        status = f"exited with code {code}" if code is not None else what
        return f"llamafactory-cli api {status}.\n{process.log_tail(log_path)}".strip()

    async def _wait_ready(self, child: asyncio.subprocess.Process, port: int, key: str) -> bool:
        deadline = asyncio.get_running_loop().time() + self.settings.serving_ready_timeout_seconds
        url = f"http://127.0.0.1:{port}/v1/models"
        headers = {"Authorization": f"Bearer {key}"}
        while child.returncode is None and asyncio.get_running_loop().time() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await self._http.get(url, headers=headers)).status_code == 200:
                    return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(child.wait(), READY_POLL_SECONDS)
        return False

    async def _ready(self, version_id: int, port: int, api_key: str) -> bool:
        """Mark it serving and register its chat model, unless it was stopped meanwhile."""

        async def apply(session: AsyncSession, version: ModelVersion) -> bool:
            if version.status is not ServeStatus.starting:
                return False
            version.status = ServeStatus.serving
            version.served_at = utcnow()
            version.api_key_encrypted = self.services.box.encrypt(api_key)
            await registration.register(session, self.services.box, version, port, api_key)
            return True

        registered: bool = await self._with_version(version_id, apply)
        return registered

    # ---- export ---------------------------------------------------------------------------
    async def export(self, version_id: int) -> None:
        """Start merging (the caller has set export_status `running` and committed)."""
        if self._lock is None:
            return
        if (task := self._exports.get(version_id)) is not None and not task.done():
            return
        task = asyncio.create_task(self._export(version_id), name=f"export-{version_id}")
        self._exports[version_id] = task
        task.add_done_callback(lambda done: self._forget(self._exports, version_id, done))

    async def _export(self, version_id: int) -> None:
        try:
            launch = await self._launch(version_id)
            export_dir = export_dir_of(self.settings, version_id)
            config = {key: value for key, value in launch.config.items() if key != "infer_backend"}
            config |= {"export_dir": str(export_dir), "export_legacy_format": False}
            error = await self._run_export(launch.workdir, config, export_dir)
            await self._set(
                version_id,
                export_status=ExportStatus.failed if error else ExportStatus.succeeded,
                export_error=error,
                export_dir=str(export_dir),
            )
        except VersionGone:
            logger.info("model version %s was deleted during its export", version_id)
        except Exception as exc:  # the database or a bug: never leave the export "running"
            logger.exception("exporting model version %s failed", version_id)
            with contextlib.suppress(Exception):
                await self._set(
                    version_id, export_status=ExportStatus.failed, export_error=f"{exc}"
                )

    async def _run_export(self, workdir: Path, config: dict[str, object], target: Path) -> str:
        """'' on success, else why it failed."""
        export_yaml = process.write_yaml(workdir / "export.yaml", config)
        log_path = workdir / "export.log"
        log_path.unlink(missing_ok=True)
        cli = self.settings.resolved_llamafactory_cli
        try:
            child = await process.spawn(
                cli,
                ["export", str(export_yaml)],
                workdir=workdir,
                log_path=log_path,
                env=process.child_env(),
            )
        except OSError as exc:
            return f"Could not start {cli}: {exc}"
        try:
            code = await child.wait()
        finally:
            if child.returncode is None:
                await process.stop_group(child, self.settings.serving_stop_timeout_seconds)
        if code == 0 and (target / "config.json").is_file():
            return ""
        return f"llamafactory-cli export exited with code {code}.\n{process.log_tail(log_path)}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
