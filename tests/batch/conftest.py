from collections.abc import Iterator

import pytest

from tests.fakes.openai import FakeOpenAI

KEY = "sk-batch-test"


@pytest.fixture(scope="module")
def fake_a() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as server:
        yield server


@pytest.fixture(scope="module")
def fake_b() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as server:
        yield server


@pytest.fixture(scope="module")
def fake_judge() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_fakes(fake_a: FakeOpenAI, fake_b: FakeOpenAI, fake_judge: FakeOpenAI) -> None:
    for fake in (fake_a, fake_b, fake_judge):
        fake.reset()
