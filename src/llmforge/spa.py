"""Serve the built web app: hashed assets with long caching, index.html for every client route."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from llmforge.core.errors import NotFound

API_PREFIXES = ("api/", "v1/")
MISSING_BUNDLE = """<!doctype html><meta charset="utf-8"><title>llmforge</title>
<p>The web app is not built. Run <code>make run</code> (or <code>make web</code>) and reload.</p>"""


def mount_spa(app: FastAPI, dist: Path) -> None:
    assets = dist / "assets"
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="assets")
    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    async def spa(path: str) -> Response:
        if path.startswith(API_PREFIXES) or path in ("api", "v1"):
            raise NotFound(f"There is no API route /{path}.", code="route_not_found")
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            return FileResponse(candidate)
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(MISSING_BUNDLE, status_code=503)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
