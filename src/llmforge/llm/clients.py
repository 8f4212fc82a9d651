"""The HTTP layer under every adapter: the request an adapter builds, and one pooled aiohttp
session per provider config, shared by every call to that provider.

aiohttp rather than httpx: on this project's benchmark a provider call cost the server about
1 ms of CPU through httpx and 0.2 ms through aiohttp, a third of a whole gateway request.

Pools are cached under (provider id, config fingerprint): a changed config gets a fresh pool,
and the old one is closed by `release(provider_id)` or at shutdown by `aclose_all()`. A pool
belongs to the event loop that first used it (one loop per application)."""

import json
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from llmforge.llm.base import ProviderConfig

# A stream holds its connection for as long as the model talks: with 100, the 101st concurrent
# stream to one provider waited for a free connection and failed after the connect timeout.
# Every connection opened is kept for reuse (closing what could not be kept cost a busy server
# two thirds of its rate).
MAX_CONNECTIONS = 1000
KEEPALIVE_SECONDS = 30


@dataclass(frozen=True)
class UpstreamRequest:
    """One HTTP call to a provider, as an adapter describes it."""

    method: str
    url: str
    headers: dict[str, str]
    params: dict[str, str] | None = None
    body: bytes | None = None

    @classmethod
    def with_json(
        cls,
        method: str,
        url: str,
        headers: dict[str, str],
        payload: Any = None,
        params: dict[str, str] | None = None,
    ) -> "UpstreamRequest":
        if payload is None:
            return cls(method, url, headers, params)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        headers = {**headers, "content-type": "application/json"}
        return cls(method, url, headers, params, body.encode())


class Pool:
    """One provider's kept connections. A proxy named by the environment (HTTPS_PROXY,
    HTTP_PROXY, NO_PROXY) is looked up once, when the pool is made, not on every call."""

    def __init__(self, config: ProviderConfig) -> None:
        connector = aiohttp.TCPConnector(
            limit=MAX_CONNECTIONS, limit_per_host=0, keepalive_timeout=KEEPALIVE_SECONDS
        )
        # the policy times the first byte, idle gaps and the total; only connecting is left
        timeout = aiohttp.ClientTimeout(total=None, connect=config.timeouts.connect)
        self._session = aiohttp.ClientSession(connector=connector, timeout=timeout)
        self._proxy = environment_proxy(config.base_url)

    async def send(self, request: UpstreamRequest) -> aiohttp.ClientResponse:
        """The response once its headers arrived; the caller reads and releases it."""
        return await self._session.request(
            request.method,
            request.url,
            params=request.params,
            data=request.body,
            headers=request.headers,
            proxy=self._proxy,
            allow_redirects=False,
        )

    @property
    def closed(self) -> bool:
        return self._session.closed

    async def aclose(self) -> None:
        await self._session.close()


def environment_proxy(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.hostname or urllib.request.proxy_bypass(parts.hostname):
        return None
    return urllib.request.getproxies().get(parts.scheme)


class ClientRegistry:
    def __init__(self) -> None:
        self._pools: dict[tuple[str, str], Pool] = {}

    def get(self, config: ProviderConfig) -> Pool:
        key = (config.provider_id, config.fingerprint())
        pool = self._pools.get(key)
        if pool is None or pool.closed:
            pool = self._pools[key] = Pool(config)
        return pool

    async def release(self, provider_id: str) -> None:
        """Close the pools of one provider (after it was changed or deleted)."""
        for key in [key for key in self._pools if key[0] == provider_id]:
            await self._pools.pop(key).aclose()

    async def aclose_all(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


registry = ClientRegistry()


async def aclose_all() -> None:
    """Close every shared pool: call from the application's shutdown."""
    await registry.aclose_all()
