"""Locate the LLaMA-Factory install made by `make llamafactory` and serve models for tests.

The install lives in LF_HOME (env LLMFORGE_LF_HOME, default <repo>/.cache/llamafactory),
created by scripts/llamafactory/setup.sh: a virtualenv with llamafactory-cli, and
models/SmolLM2-135M-Instruct and models/tiny-random-llama.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
SETUP_HINT = "run `make llamafactory` (scripts/llamafactory/setup.sh) first"
_MARKER = ".llmforge-model.json"


def lf_home() -> Path:
    """LLaMA-Factory home: $LLMFORGE_LF_HOME or <repo>/.cache/llamafactory."""
    env = os.environ.get("LLMFORGE_LF_HOME")
    return Path(env).resolve() if env else REPO_ROOT / ".cache" / "llamafactory"


def llamafactory_cli() -> Path:
    """Path of llamafactory-cli; $LLMFORGE_LLAMAFACTORY_CLI wins over LF_HOME's venv."""
    env = os.environ.get("LLMFORGE_LLAMAFACTORY_CLI")
    cli = Path(env) if env else lf_home() / "venv" / "bin" / "llamafactory-cli"
    if not (cli.is_file() and os.access(cli, os.X_OK)):
        raise RuntimeError(f"llamafactory-cli not found at {cli}: {SETUP_HINT}")
    return cli


def _model(name: str) -> Path:
    path = lf_home() / "models" / name
    if not (path / _MARKER).is_file():
        raise RuntimeError(f"model {name} not prepared at {path}: {SETUP_HINT}")
    return path


def smollm2_path() -> Path:
    """HF directory of SmolLM2-135M-Instruct (real instruct model, template `smollm2`)."""
    return _model("SmolLM2-135M-Instruct")


def tiny_model_path() -> Path:
    """HF directory of the tiny random llama (SmolLM2 tokenizer) for fast training tests."""
    return _model("tiny-random-llama")


def is_installed() -> bool:
    """True when the CLI and both models are there (for pytest skip/fail decisions)."""
    try:
        llamafactory_cli()
        smollm2_path()
        tiny_model_path()
    except RuntimeError:
        return False
    return True


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def lf_env(**extra: str) -> dict[str, str]:
    """Environment for llamafactory-cli subprocesses: offline, quiet, no telemetry."""
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        DISABLE_VERSION_CHECK="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1",
    )
    # never let the test runner's own virtualenv leak into LLaMA-Factory's
    for key in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        env.pop(key, None)
    env.update(extra)
    return env


def write_yaml(path: Path, config: dict[str, object]) -> Path:
    """Write a LLaMA-Factory YAML config (values JSON-encoded: valid YAML, no quoting traps)."""
    path.write_text("".join(f"{key}: {json.dumps(value)}\n" for key, value in config.items()))
    return path


def run_train(config: dict[str, object], workdir: Path, timeout: float = 600.0) -> Path:
    """Run `llamafactory-cli train` on config (written to workdir/train.yaml); output goes to
    workdir/train.log. Returns the log path; raises RuntimeError with its tail on failure."""
    job = write_yaml(workdir / "train.yaml", config)
    log_path = workdir / "train.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(llamafactory_cli()), "train", str(job)],
            cwd=workdir,
            env=lf_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        returncode = proc.wait(timeout=timeout)
    finally:
        _stop_group(proc)
    if returncode != 0:
        raise RuntimeError(
            f"llamafactory-cli train exited with {returncode}:\n{_log_tail(log_path)}"
        )
    return log_path


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop_group(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)


@contextlib.contextmanager
def serve_openai_api(
    model_path: Path | str,
    port: int | None = None,
    api_key: str | None = None,
    model_name: str = "smollm2",
    *,
    adapter: Path | str | None = None,
    template: str = "smollm2",
    workdir: Path | None = None,
    ready_timeout: float = 120.0,
) -> Iterator[str]:
    """Run `llamafactory-cli api` on 127.0.0.1:port and yield its base URL (".../v1").

    Writes serve.yaml and server.log into workdir (a fresh temporary directory when not
    given; kept for inspection when given). The server runs in its own process group and
    is stopped with SIGTERM to the group on exit. Raises RuntimeError with the log tail if
    it exits or does not answer GET /v1/models within ready_timeout seconds.
    """
    import tempfile

    cli = llamafactory_cli()
    port = port or free_port()
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lf-api-")))
        workdir.mkdir(parents=True, exist_ok=True)
        config: dict[str, object] = {
            "model_name_or_path": str(model_path),
            "template": template,
            "infer_backend": "huggingface",
        }
        if adapter is not None:
            config |= {"adapter_name_or_path": str(adapter), "finetuning_type": "lora"}
        serve_yaml = write_yaml(workdir / "serve.yaml", config)
        log_path = workdir / "server.log"
        env = lf_env(API_HOST="127.0.0.1", API_PORT=str(port), API_MODEL_NAME=model_name)
        if api_key:
            env["API_KEY"] = api_key
        else:
            env.pop("API_KEY", None)
        base_url = f"http://127.0.0.1:{port}/v1"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [str(cli), "api", str(serve_yaml)],
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        stack.callback(_stop_group, proc)
        deadline = time.monotonic() + ready_timeout
        with httpx.Client(timeout=2.0) as client:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"llamafactory-cli api exited with {proc.returncode} before it was "
                        f"ready; {log_path}:\n{_log_tail(log_path)}"
                    )
                try:
                    if client.get(f"{base_url}/models", headers=headers).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"llamafactory-cli api not ready on port {port} after "
                        f"{ready_timeout:.0f}s; {log_path}:\n{_log_tail(log_path)}"
                    )
                time.sleep(0.25)
        yield base_url
