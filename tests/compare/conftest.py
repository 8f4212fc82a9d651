"""Three fake OpenAI-compatible providers, one model each, so that lanes can run at
different speeds and fail or be stopped one at a time."""

from collections.abc import Iterator

import httpx
import pytest

from tests.chat_fixtures import register_model
from tests.compare.helpers import API_KEY
from tests.fakes.openai import FakeOpenAI

NAMES = ("fast-model", "medium-model", "slow-model")


@pytest.fixture(scope="module")
def upstreams() -> Iterator[list[FakeOpenAI]]:
    fakes = [FakeOpenAI(api_key=API_KEY).start() for _ in NAMES]
    yield fakes
    for fake in fakes:
        fake.stop()


@pytest.fixture(autouse=True)
def _fresh_upstreams(upstreams: list[FakeOpenAI]) -> None:
    for fake, name in zip(upstreams, NAMES, strict=True):
        fake.reset()
        fake.behaviour.models = [name, "text-embed-small"]


@pytest.fixture
def model_ids(admin: httpx.Client, upstreams: list[FakeOpenAI]) -> list[int]:
    """[fast, medium, slow], each priced 2 / 10 per million tokens."""
    return [
        register_model(
            admin,
            preset="openai-compatible",
            base_url=fake.base_url,
            api_key=API_KEY,
            model=name,
            input_price_per_mtok="2",
            output_price_per_mtok="10",
        )
        for fake, name in zip(upstreams, NAMES, strict=True)
    ]
