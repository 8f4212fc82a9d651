"""The OpenAI-compatible endpoints. Any OpenAI client works against `<origin>/v1` with a
platform API key; errors come in OpenAI's shape (see errors.py)."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from llmforge.core.errors import NotFound
from llmforge.core.routing import CapabilityRouter
from llmforge.gateway import access
from llmforge.gateway.access import Caller, GatewayServices
from llmforge.gateway.chat import chat_request, check_supported, complete, open_stream
from llmforge.gateway.embeddings import check_embeddable, embed, inputs_of
from llmforge.gateway.errors import OPENAI_ERROR_RESPONSES, OpenAIRoute
from llmforge.gateway.schemas import ChatCompletionRequest, EmbeddingRequest

router = CapabilityRouter(
    prefix="/v1", tags=["gateway"], route_class=OpenAIRoute, responses=OPENAI_ERROR_RESPONSES
)
bearer = HTTPBearer(
    auto_error=False, scheme_name="ApiKey", description="A platform API key: lf-..."
)
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def gateway_services(request: Request) -> GatewayServices:
    state = request.app.state
    return GatewayServices(
        settings=state.settings,
        box=state.secret_box,
        clients=state.llm_clients,
        recorder=state.usage_recorder,
        factory=state.session_factory,
        limiter=state.gateway_rate_limiter,
        cache=state.read_cache,
    )


ServicesDep = Annotated[GatewayServices, Depends(gateway_services)]


async def caller(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> AsyncIterator[Caller]:
    """The key's owner, with the read-only session the request's look-ups share."""
    async with services.factory() as session:
        yield await access.authenticate(
            services, session, credentials.credentials if credentials else None
        )


CallerDep = Annotated[Caller, Depends(caller, scope="function")]


@router.get("/models")
async def list_models(who: CallerDep, services: ServicesDep) -> JSONResponse:
    """The models this key may call, by the names to pass as `model`."""
    entries = await access.listed_models(services, who)
    data = [
        {
            "id": entry.name,
            "object": "model",
            "created": int(entry.created.timestamp()),
            "owned_by": entry.owned_by,
        }
        for entry in entries
    ]
    return JSONResponse({"object": "list", "data": data})


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    body: ChatCompletionRequest, who: CallerDep, services: ServicesDep
) -> JSONResponse | StreamingResponse:
    """OpenAI Chat Completions; `stream: true` answers with `chat.completion.chunk` events
    and `data: [DONE]`. Unsupported: n > 1, tools, logprobs, non-text content."""
    check_supported(body)
    target = await access.target_for(services, who, body.model)
    request = chat_request(target, body)
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        lines = await open_stream(services, target, request, include_usage)
        return StreamingResponse(lines, media_type="text/event-stream", headers=STREAM_HEADERS)
    return JSONResponse(await complete(services, target, request))


@router.post("/embeddings")
async def embeddings(body: EmbeddingRequest, who: CallerDep, services: ServicesDep) -> JSONResponse:
    """OpenAI Embeddings for models with the embedding capability (float or base64)."""
    inputs = inputs_of(body)
    target = await access.target_for(services, who, body.model)
    check_embeddable(target, body)
    return JSONResponse(await embed(services, target, body, inputs))


@router.api_route(
    "/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def unknown(path: str, request: Request) -> None:
    raise NotFound(
        f"Invalid URL ({request.method} /v1/{path}): the llmforge gateway serves /v1/models, "
        "/v1/chat/completions and /v1/embeddings.",
        code="unknown_url",
    )
