"""Two versions registered at once under one name (two training jobs with the same output name
finishing together) both get a name: the second takes the next free one instead of failing."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from llmforge.serving import service as serving
from tests.conftest import LiveServer
from tests.training.helpers import add_base_model

# only PostgreSQL lets two write transactions run at once; SQLite serializes them
pytestmark = pytest.mark.parametrize("live_server", ["postgres"], indirect=True)


def test_a_name_taken_by_a_transaction_not_yet_committed_is_not_given_twice(
    server: LiveServer, tmp_path: Path
) -> None:
    base_model_id = add_base_model(server)
    user_id = server.create_user("racer@example.com").id

    async def register(session: Any) -> Any:
        return await serving.register_version(
            session,
            user_id=user_id,
            name="tiny-lora",
            base_model_id=base_model_id,
            adapter_path=tmp_path,
            model_path=None,
            template="smollm2",
            finetuning_type="lora",
            job_id=None,
        )

    async def race() -> list[str]:
        factory = server.app.state.session_factory
        async with factory() as first, factory() as second:
            taken = await register(first)  # flushed, not committed
            waiting = asyncio.create_task(register(second))  # read the same free name
            await asyncio.sleep(0.5)
            await first.commit()
            other = await waiting
            await second.commit()
            return [taken.name, other.name]

    assert server.call(race()) == ["tiny-lora", "tiny-lora-2"]
