"""deploy/: nginx.conf is checked and run by Debian's nginx in front of the live server, the
compose file has the services, volumes and settings it should, and the Dockerfile copies only
files that exist and starts commands the CLI has."""

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import typer
import yaml

from llmforge.cli import app as cli_app
from llmforge.settings import Settings
from tests.conftest import LiveServer
from tests.pg import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SETTINGS_VARIABLES = {f"LLMFORGE_{name.upper()}" for name in Settings.model_fields}
CLI_COMMANDS = typer.main.get_command(cli_app).commands  # type: ignore[attr-defined]


def nginx_config(tmp_path: Path, upstream: str, port: int) -> Path:
    """deploy/nginx.conf with the compose host name and port replaced by loopback ones."""
    text = (DEPLOY / "nginx.conf").read_text()
    assert "server app:8000;" in text and "listen 80 default_server;" in text
    text = text.replace("server app:8000;", f"server {upstream};")
    text = text.replace("listen 80 default_server;", f"listen 127.0.0.1:{port};")
    text = text.replace("listen [::]:80 default_server;\n", "")
    text = text.replace("pid /tmp/nginx.pid;", f"pid {tmp_path / 'nginx.pid'};")
    path = tmp_path / "nginx.conf"
    path.write_text(text)
    return path


def nginx(config: Path, *args: str) -> list[str]:
    return [NGINX, "-p", str(config.parent), "-e", "/dev/stderr", "-c", str(config), *args]


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    config = nginx_config(tmp_path, "127.0.0.1:8000", free_port())
    result = subprocess.run(nginx(config, "-t"), capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


@pytest.fixture
def proxy(server: LiveServer, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    upstream = server.url.removeprefix("http://")
    config = nginx_config(tmp_path, upstream, port)
    process = subprocess.Popen(nginx(config, "-g", "daemon off;"), stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"{url}/healthz", timeout=2)
            break
        except httpx.TransportError:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_nginx_proxies_the_app_with_its_limits(proxy: str) -> None:
    health = httpx.get(f"{proxy}/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert health.headers["x-content-type-options"] == "nosniff"  # the app's headers pass
    over = httpx.post(f"{proxy}/api/auth/login", content=b"x" * (11 * 1024 * 1024))
    assert over.status_code == 413
    assert over.json()["code"] == "payload_too_large"  # the app's error shape, from nginx
    # The dataset upload path has its own, larger limit: nginx passes 11 MiB on to the app.
    upload = httpx.post(f"{proxy}/api/datasets?filename=a.jsonl", content=b"x" * (11 * 1024 * 1024))
    assert upload.status_code == 401  # refused by the app (no token), not by nginx


def test_nginx_streams_event_paths_unbuffered_with_long_timeouts() -> None:
    text = (DEPLOY / "nginx.conf").read_text()
    stream_block = re.search(r"location ~ \^/\((?P<paths>[^)]*)\) \{(?P<body>[^}]*)\}", text)
    assert stream_block is not None
    paths = re.compile(rf"^/({stream_block['paths']})")
    for path in (
        "/api/chat/sessions/1/messages",
        "/api/chat/messages/1/regenerate",
        "/api/compare",
        "/api/compare/3/rerun",
        "/api/training/jobs/12/events",
        "/api/dify-apps/chat-sessions/1",
        "/v1/chat/completions",
    ):
        assert paths.match(path), path
    assert not paths.match("/api/training/jobs/12/logs")
    assert "proxy_buffering off;" in stream_block["body"]
    assert "proxy_read_timeout 3600s;" in stream_block["body"]


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def test_compose_has_the_services_volumes_and_settings() -> None:
    spec = compose()
    services = spec["services"]
    assert set(services) == {"app", "worker", "postgres", "redis", "qdrant", "nginx"}
    assert set(spec["volumes"]) == {"llmforge-data", "postgres-data", "redis-data", "qdrant-data"}
    app, worker = services["app"], services["worker"]
    assert app["command"][0] == "serve" and worker["command"] == ["worker"]
    for service in (app, worker):
        assert service["env_file"] == ".env"
        assert "llmforge-data:/var/lib/llmforge" in service["volumes"]
        assert service["environment"]["LLMFORGE_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert service["environment"]["LLMFORGE_QDRANT_URL"] == "http://qdrant:6333"
        assert {"postgres", "redis", "qdrant"} <= set(service["depends_on"])
        names = {name for name in service["environment"] if name.startswith("LLMFORGE_")}
        assert names <= SETTINGS_VARIABLES, names - SETTINGS_VARIABLES
    assert app["environment"]["LLMFORGE_TRAINING_IN_PROCESS_SCHEDULER"] == "false"
    assert "ports" not in app  # only nginx is published
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]
    assert services["nginx"]["ports"] == ["${LLMFORGE_HTTP_PORT:-80}:80"]


def test_env_example_names_only_real_settings() -> None:
    lines = (DEPLOY / ".env.example").read_text().splitlines()
    names = {
        re.sub(r"^#\s*", "", line).split("=", 1)[0]
        for line in lines
        if re.match(r"^#?\s*LLMFORGE_[A-Z_]+=", line)
    }
    compose_only = {
        "LLMFORGE_HTTP_PORT",
        "LLMFORGE_WEB_WORKERS",
        "LLMFORGE_IMAGE_TAG",
        "LLMFORGE_APP_TARGET",
    }
    assert {"LLMFORGE_SECRET_KEY", "LLMFORGE_ENCRYPTION_KEY", "LLMFORGE_CORS_ORIGINS"} <= names
    assert names - compose_only <= SETTINGS_VARIABLES, names - compose_only - SETTINGS_VARIABLES
    compose_text = (DEPLOY / "docker-compose.yml").read_text()
    for variable in re.findall(r"\$\{([A-Z_]+)", compose_text):
        assert re.search(rf"^#?\s*{variable}=", "\n".join(lines), re.M), variable


def test_dockerfile_copies_existing_files_and_runs_real_commands() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    for line in re.findall(r"^COPY (?!--from)(.+)$", text, re.M):
        *sources, _target = line.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert source.rstrip("/") not in ignored, source
    assert re.findall(r"^FROM \S+ AS (\S+)", text, re.M) == ["web", "runtime", "worker"]
    assert "COPY --from=web /build/web/dist/ web/dist/" in text
    assert re.search(r"^USER llmforge$", text, re.M) and "useradd --system --uid 10001" in text
    assert 'ENTRYPOINT ["llmforge"]' in text and 'VOLUME ["/var/lib/llmforge"]' in text
    assert "uv sync --frozen --no-dev" in text
    serve = CLI_COMMANDS["serve"]
    assert {"--host", "--port", "--workers"} <= {o for p in serve.params for o in p.opts}
    for command in re.findall(r'^CMD \["(\w+)"', text, re.M):
        assert command in CLI_COMMANDS, command
    for service in compose()["services"].values():
        if "command" in service and service.get("build"):
            assert service["command"][0] in CLI_COMMANDS
