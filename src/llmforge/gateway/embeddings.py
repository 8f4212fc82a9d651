"""/v1/embeddings for the models with the embedding capability; usage recorded like every call."""

import base64
import struct
import time
from typing import Any

from llmforge.core.errors import BadRequest
from llmforge.gateway.access import GatewayServices, Target
from llmforge.gateway.chat import record_usage
from llmforge.gateway.schemas import EmbeddingRequest
from llmforge.llm import UpstreamError
from llmforge.llm.tokens import estimate_input_tokens


def inputs_of(body: EmbeddingRequest) -> list[str]:
    if isinstance(body.input, str):
        return [body.input]
    if not body.input:
        raise BadRequest(
            "input must not be empty.", code="invalid_value", details={"param": "input"}
        )
    if not all(isinstance(item, str) for item in body.input):
        raise BadRequest(
            "Token arrays are not supported as input; send text.",
            code="unsupported_value",
            details={"param": "input"},
        )
    return [str(item) for item in body.input]


def check_embeddable(target: Target, body: EmbeddingRequest) -> None:
    if not target.entry.embeds:
        raise BadRequest(
            f"`{target.entry.name}` is not an embedding model.",
            code="model_not_embedding",
            details={"param": "model"},
        )
    if body.dimensions is not None:
        raise BadRequest(
            "dimensions is not supported through the llmforge gateway.",
            code="unsupported_value",
            details={"param": "dimensions"},
        )


def _encoded(vector: list[float], encoding: str) -> list[float] | str:
    if encoding == "float":
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


async def embed(
    services: GatewayServices, target: Target, body: EmbeddingRequest, inputs: list[str]
) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = await target.client.embed(target.model.model_id, inputs)
    except UpstreamError:
        latency = round((time.perf_counter() - started) * 1000, 1)
        usage = await estimate_input_tokens(inputs)
        record_usage(services, target, usage, {"ttft_ms": None, "latency_ms": latency}, "error")
        raise
    latency = round((time.perf_counter() - started) * 1000, 1)
    record_usage(
        services, target, result.usage, {"ttft_ms": None, "latency_ms": latency}, "complete"
    )
    return {
        "object": "list",
        "data": [
            {
                "object": "embedding",
                "index": index,
                "embedding": _encoded(vector, body.encoding_format),
            }
            for index, vector in enumerate(result.vectors)
        ],
        "model": target.entry.name,
        "usage": {
            "prompt_tokens": result.usage.input_tokens,
            "total_tokens": result.usage.input_tokens,
        },
    }
