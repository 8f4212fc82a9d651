"""One pooled httpx.AsyncClient per provider config, shared by every call to that provider.

Clients are cached under (provider id, config fingerprint): a changed config gets a fresh
pool, and the old one is closed by `release(provider_id)` or at shutdown by `aclose_all()`.
A pool belongs to the event loop that first used it (one loop per application)."""

import httpx

from llmforge.llm.base import ProviderConfig

# Every connection opened is kept for reuse: keeping fewer than can be open made a busy server
# close and reopen a connection per call, which cost it two thirds of its rate.
POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=30)


def _new_client(config: ProviderConfig) -> httpx.AsyncClient:
    timeout = httpx.Timeout(
        connect=config.timeouts.connect,
        read=None,
        write=config.timeouts.idle,
        pool=config.timeouts.connect,
    )
    return httpx.AsyncClient(timeout=timeout, limits=POOL_LIMITS, follow_redirects=False)


class ClientRegistry:
    def __init__(self) -> None:
        self._clients: dict[tuple[str, str], httpx.AsyncClient] = {}

    def get(self, config: ProviderConfig) -> httpx.AsyncClient:
        key = (config.provider_id, config.fingerprint())
        client = self._clients.get(key)
        if client is None or client.is_closed:
            client = self._clients[key] = _new_client(config)
        return client

    async def release(self, provider_id: str) -> None:
        """Close the pools of one provider (after it was changed or deleted)."""
        for key in [key for key in self._clients if key[0] == provider_id]:
            await self._clients.pop(key).aclose()

    async def aclose_all(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


registry = ClientRegistry()


async def aclose_all() -> None:
    """Close every shared pool: call from the application's shutdown."""
    await registry.aclose_all()
