"""create_app(): the one place where routers, middleware, error handling and the web app meet."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import text

from llmforge import __version__
from llmforge.admin.router import router as admin_router
from llmforge.api_keys.router import router as api_keys_router
from llmforge.audit.router import router as audit_router
from llmforge.auth.router import router as auth_router
from llmforge.base_models.router import router as base_models_router
from llmforge.batch.router import router as batch_router
from llmforge.batch.runner import BatchRunner, RunnerServices
from llmforge.chat.router import router as chat_router
from llmforge.compare.registry import LocalLaneRegistry, RedisLaneRegistry
from llmforge.compare.router import router as compare_router
from llmforge.core import collector, redis
from llmforge.core.cache import ReadCache, RedisInvalidations
from llmforge.core.errors import ErrorResponse, error_response, install_error_handlers
from llmforge.core.metrics import metrics_endpoint
from llmforge.core.middleware import (
    BodySizeLimitMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
    cors_options,
)
from llmforge.core.security import SecretBox
from llmforge.datasets.router import UPLOAD_PATH
from llmforge.datasets.router import router as datasets_router
from llmforge.db import create_engine, create_session_factory
from llmforge.dify.router import router as dify_router
from llmforge.evaluation.driver import DriverServices, EvaluationDriver
from llmforge.evaluation.router import router as evaluation_router
from llmforge.gateway.ratelimit import InProcessRateLimiter, RedisRateLimiter
from llmforge.gateway.router import router as gateway_router
from llmforge.knowledge.embedding import KnowledgeServices
from llmforge.knowledge.ingestion import Ingestor
from llmforge.knowledge.router import router as knowledge_router
from llmforge.knowledge.store import VectorStore
from llmforge.liveness.service import Heartbeat
from llmforge.llm import tokens
from llmforge.llm.clients import ClientRegistry
from llmforge.prompts.router import router as prompts_router
from llmforge.providers.router import router as providers_router
from llmforge.serving.router import router as model_versions_router
from llmforge.serving.supervisor import ServingSupervisor, SupervisorServices
from llmforge.settings import Settings
from llmforge.spa import mount_spa
from llmforge.training.router import router as training_router
from llmforge.training.scheduler import create_scheduler
from llmforge.usage.recorder import UsageRecorder
from llmforge.usage.router import router as usage_router
from llmforge.users.router import router as users_router

ROUTERS = (
    auth_router,
    users_router,
    audit_router,
    admin_router,
    providers_router,
    chat_router,
    compare_router,
    batch_router,
    usage_router,
    prompts_router,
    datasets_router,
    base_models_router,
    model_versions_router,
    training_router,
    evaluation_router,
    knowledge_router,
    dify_router,
    api_keys_router,
    gateway_router,
)
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 413, 422, 429)
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.secrets  # noqa: B018 - fail at start-up, not at first login, when secrets are missing

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.resolved_database_url, settings.database_pool_timeout_seconds
        )
        app.state.engine = engine
        app.state.session_factory = create_session_factory(engine, app.state.read_cache)
        app.state.llm_clients = ClientRegistry()
        app.state.usage_recorder = UsageRecorder(app.state.session_factory)
        app.state.usage_recorder.start()
        if app.state.redis is not None:
            await app.state.compare_lanes.start()
            await app.state.cache_invalidations.start()
            app.state.heartbeat = Heartbeat(
                app.state.session_factory, settings.stream_heartbeat_seconds
            )
            await app.state.heartbeat.start()
        tokenizer = asyncio.create_task(tokens.warm_up(), name="tokenizer-warm-up")
        app.state.batch_runner = BatchRunner(
            RunnerServices(
                settings=settings,
                box=app.state.secret_box,
                clients=app.state.llm_clients,
                recorder=app.state.usage_recorder,
                factory=app.state.session_factory,
            )
        )
        app.state.batch_runner.start()
        app.state.serving_supervisor = ServingSupervisor(
            SupervisorServices(
                settings=settings,
                box=app.state.secret_box,
                clients=app.state.llm_clients,
                factory=app.state.session_factory,
            )
        )
        await app.state.serving_supervisor.start()
        app.state.vector_store = VectorStore(settings)  # embedded: one client per process
        app.state.knowledge_services = KnowledgeServices(
            settings=settings,
            box=app.state.secret_box,
            clients=app.state.llm_clients,
            recorder=app.state.usage_recorder,
            factory=app.state.session_factory,
        )
        app.state.knowledge_ingestor = Ingestor(
            app.state.knowledge_services, app.state.vector_store
        )
        app.state.knowledge_ingestor.start()
        app.state.training_scheduler = None
        if settings.training_in_process_scheduler:
            app.state.training_scheduler = create_scheduler(
                settings, app.state.secret_box, app.state.session_factory
            )
            app.state.training_scheduler.start()
        app.state.evaluation_driver = EvaluationDriver(
            DriverServices(
                settings=settings,
                factory=app.state.session_factory,
                recorder=app.state.usage_recorder,
                supervisor=app.state.serving_supervisor,
                wake_runner=lambda: app.state.batch_runner.wake(),
            )
        )
        app.state.evaluation_driver.start()
        with collector.tuned_for_many_streams():
            yield
        await app.state.evaluation_driver.stop()
        if app.state.training_scheduler is not None:
            await app.state.training_scheduler.stop()  # the processes run on; claims released
        await app.state.serving_supervisor.shutdown()
        await app.state.knowledge_ingestor.stop()  # unfinished documents are queued again
        await app.state.vector_store.close()
        await app.state.batch_runner.stop()  # the one running now (a test may have replaced it)
        await asyncio.gather(tokenizer, return_exceptions=True)
        await app.state.usage_recorder.stop()
        await app.state.llm_clients.aclose_all()
        if app.state.redis is not None:
            await app.state.heartbeat.stop()
            await app.state.compare_lanes.close()
            await app.state.cache_invalidations.close()
            await app.state.redis.aclose()
        await engine.dispose()

    app = FastAPI(
        title="llmforge",
        version=__version__,
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        swagger_ui_parameters={"persistAuthorization": True},
    )
    app.state.settings = settings
    app.state.secret_box = SecretBox(settings.secrets["encryption_key"])
    _add_shared_state(app, settings)
    install_error_handlers(app)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_request_body_bytes,
        exempt_paths=(UPLOAD_PATH,),
    )
    app.add_middleware(CORSMiddleware, **cors_options(settings.cors_origins))
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    for router in ROUTERS:
        app.include_router(router)
    _add_operational_routes(app)
    mount_spa(app, settings.web_dist)
    return app


CACHED_TABLES = frozenset(
    {"api_keys", "users", "models", "providers", "dify_apps", "user_quotas", "app_settings"}
)
"""The tables behind the read cache's look-ups (the gateway's keys and catalogue, a chat's
model, budgets' limits): a commit that writes one empties the cache."""


def _add_shared_state(app: FastAPI, settings: Settings) -> None:
    """What the server processes of a deployment must agree on: in Redis when there is one."""
    app.state.redis = redis.connect(settings)
    app.state.read_cache = ReadCache(CACHED_TABLES)
    if app.state.redis is None:
        app.state.gateway_rate_limiter = InProcessRateLimiter()
        app.state.compare_lanes = LocalLaneRegistry()
    else:
        app.state.gateway_rate_limiter = RedisRateLimiter(app.state.redis)
        app.state.compare_lanes = RedisLaneRegistry(app.state.redis)
        app.state.cache_invalidations = RedisInvalidations(app.state.redis, app.state.read_cache)


def _add_operational_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["ops"])
    async def readyz() -> JSONResponse:
        try:
            async with app.state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means "not ready", reported, not raised
            return error_response(
                503, "database_unavailable", f"The database is not reachable: {type(exc).__name__}"
            )
        if app.state.redis is None:
            return JSONResponse({"status": "ready", "database": "ok"})
        try:
            await app.state.redis.ping()
        except Exception as exc:
            return error_response(
                503, "redis_unavailable", f"Redis is not reachable: {type(exc).__name__}"
            )
        return JSONResponse({"status": "ready", "database": "ok", "redis": "ok"})

    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
