"""What a model directory says about itself: architecture, parameter count, bytes on disk.

The parameter count is exact when the weights are safetensors (their headers list every
tensor's shape); otherwise it is estimated from a llama-style config.json."""

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_HEADER_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class ModelFacts:
    architecture: str | None
    parameter_count: int | None
    size_bytes: int


def _read_config(directory: Path) -> dict[str, Any]:
    try:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def _safetensors_parameters(path: Path) -> int | None:
    try:
        with path.open("rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > MAX_HEADER_BYTES:
                return None
            header = json.loads(handle.read(length))
    except (OSError, ValueError, struct.error):
        return None
    return sum(
        math.prod(tensor["shape"])
        for name, tensor in header.items()
        if name != "__metadata__" and isinstance(tensor, dict) and "shape" in tensor
    )


def _counted_parameters(directory: Path) -> int | None:
    counts = [_safetensors_parameters(path) for path in sorted(directory.glob("*.safetensors"))]
    if not counts or any(count is None for count in counts):
        return None
    return sum(count for count in counts if count is not None)


def _estimated_parameters(config: dict[str, Any]) -> int | None:
    """Decoder-only transformer with gated MLP (llama, qwen, mistral, smollm...)."""
    try:
        hidden, layers = int(config["hidden_size"]), int(config["num_hidden_layers"])
        vocab, inner = int(config["vocab_size"]), int(config["intermediate_size"])
        heads = int(config["num_attention_heads"])
        kv_heads = int(config.get("num_key_value_heads") or heads)
        head_dim = int(config.get("head_dim") or hidden // heads)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    attention = hidden * head_dim * (2 * heads + 2 * kv_heads)
    per_layer = attention + 3 * hidden * inner + 2 * hidden
    embeddings = vocab * hidden * (1 if config.get("tie_word_embeddings") else 2)
    return embeddings + layers * per_layer + hidden


def inspect_model(directory: Path) -> ModelFacts:
    config = _read_config(directory)
    architectures = config.get("architectures")
    architecture = (
        str(architectures[0])[:100]
        if isinstance(architectures, list) and architectures
        else (str(config["model_type"])[:100] if config.get("model_type") else None)
    )
    size = sum(path.stat().st_size for path in directory.iterdir() if path.is_file())
    parameters = _counted_parameters(directory) or _estimated_parameters(config)
    return ModelFacts(architecture=architecture, parameter_count=parameters, size_bytes=size)
