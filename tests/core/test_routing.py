"""Every capability's router turns away other paths by its prefix (route matching costs one
comparison per capability instead of one regex per route), and every route is still reached."""

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match

from llmforge.app import ROUTERS, create_app
from llmforge.core.routing import CapabilityRouter
from llmforge.settings import Settings


def _scope(path: str, method: str = "GET") -> dict[str, object]:
    return {"type": "http", "path": path, "method": method, "root_path": "", "headers": []}


def test_every_router_is_a_capability_router_with_its_own_prefix() -> None:
    assert all(isinstance(router, CapabilityRouter) for router in ROUTERS)
    for router in ROUTERS:
        assert router.prefix, router
        assert all(route.path.startswith(router.prefix) for route in router.routes)


def test_a_router_does_not_try_its_routes_for_another_prefix() -> None:
    router = CapabilityRouter(prefix="/api/things")
    tried: list[str] = []

    @router.get("/{thing_id}")
    async def read(thing_id: int) -> None:  # pragma: no cover - never called
        tried.append("called")

    route = router.routes[0]
    assert isinstance(route, APIRoute)
    original = route.matches
    route.matches = lambda scope: (tried.append(scope["path"]), original(scope))[1]  # type: ignore[method-assign]
    app = FastAPI()
    app.include_router(router)
    included = app.router.routes[-1]
    assert included.matches(_scope("/api/other/1"))[0] is Match.NONE
    assert tried == []
    assert included.matches(_scope("/api/things/1"))[0] is Match.FULL
    assert tried == ["/api/things/1"]


def test_each_documented_route_is_routed_to_its_endpoint(tmp_path: object) -> None:
    app = create_app(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    for path, operations in app.openapi()["paths"].items():
        concrete = path.replace("{", "").replace("}", "")  # any segment will do for matching
        for method in operations:
            scope = _scope(concrete.replace("_id", "1"), method.upper())
            matched = [r for r in app.router.routes if r.matches(scope)[0] is Match.FULL]
            assert matched, f"{method.upper()} {path} is not reached"
