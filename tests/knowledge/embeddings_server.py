"""Serve the real all-MiniLM-L6-v2 (installed by `make embeddings`) on loopback for tests."""

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.pg import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
MINILM = "all-MiniLM-L6-v2"
SETUP_HINT = "run `make embeddings` (scripts/embeddings/setup.sh) first"


def embeddings_python() -> Path:
    """The embeddings venv's python: $LLMFORGE_EMBEDDINGS_HOME or <repo>/.cache/embeddings."""
    env = os.environ.get("LLMFORGE_EMBEDDINGS_HOME")
    home = Path(env) if env else REPO_ROOT / ".cache" / "embeddings"
    python = home / "venv" / "bin" / "python"
    if not python.is_file():
        raise RuntimeError(f"the local embedding model is not installed at {home}: {SETUP_HINT}")
    return python


@contextmanager
def serve_minilm(timeout: float = 120) -> Iterator[str]:
    """scripts/embeddings/server.py on a free port; yields its base URL (…/v1)."""
    port = free_port()
    server = REPO_ROOT / "scripts" / "embeddings" / "server.py"
    process = subprocess.Popen(
        [str(embeddings_python()), str(server), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + timeout
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the embeddings server did not start")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/models", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
