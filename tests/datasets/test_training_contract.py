"""What the training jobs use: the visible dataset, LLaMA-Factory's dataset_info.json entries,
the job's dataset directory, the held-out prompts, and delete refused while jobs use it."""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.base_models.models import BaseModel
from llmforge.core.errors import NotFound
from llmforge.datasets.training import (
    OPENAI_TAGS,
    SHAREGPT_TAGS,
    TrainingDataset,
    dataset_for_training,
    dataset_info_entry,
    heldout_records,
    write_dataset_dir,
)
from llmforge.training.models import JobStatus, TrainingJob
from llmforge.users.models import Role, User
from tests.conftest import LiveServer
from tests.datasets.helpers import ALPACA, created, jsonl


def _training(server: LiveServer, user: User, dataset_id: int) -> TrainingDataset:
    data_dir = server.settings.data_dir
    return server.db(  # type: ignore[no-any-return]
        lambda s: dataset_for_training(s, user, dataset_id, data_dir)
    )


def _entry(fmt: str, preferences: bool = False) -> dict[str, Any]:
    ds = TrainingDataset(1, "d", fmt, Path("/x/train.jsonl"), None, 3, preferences)
    return dataset_info_entry(ds)


def test_dataset_info_entries() -> None:
    assert _entry("alpaca") == {
        "file_name": "train.jsonl",
        "columns": {
            "prompt": "instruction",
            "query": "input",
            "system": "system",
            "history": "history",
            "response": "output",
        },
    }
    assert _entry("sharegpt") == {
        "file_name": "train.jsonl",
        "columns": {"messages": "conversations", "system": "system"},
        "formatting": "sharegpt",
        "tags": SHAREGPT_TAGS,
    }
    openai = _entry("openai", preferences=True)
    assert openai["tags"]["role_tag"] == "role" and openai["tags"] == OPENAI_TAGS
    assert openai["ranking"] is True
    assert openai["columns"] == {"messages": "messages", "chosen": "chosen", "rejected": "rejected"}
    alpaca_pairs = _entry("alpaca", preferences=True)
    assert "response" not in alpaca_pairs["columns"]
    assert alpaca_pairs["columns"]["chosen"] == "chosen"
    held = TrainingDataset(1, "d", "alpaca", Path("/x/train.jsonl"), Path("/x/h.jsonl"), 3, False)
    assert dataset_info_entry(held, "heldout")["file_name"] == "heldout.jsonl"


def test_visible_to_owner_and_admins_only(server: LiveServer, alice: httpx.Client) -> None:
    body = created(alice, jsonl(ALPACA * 5), split_percent=20)
    users = server.db(lambda s: _users(s))
    ds = _training(server, users["alice@example.com"], body["id"])
    assert (ds.id, ds.format, ds.record_count, ds.has_preferences) == (
        body["id"],
        "alpaca",
        20,
        False,
    )
    assert ds.train_file.is_file() and ds.heldout_file is not None and ds.heldout_file.is_file()
    bob = server.create_user("bob@example.com")
    with pytest.raises(NotFound):
        _training(server, bob, body["id"])
    root = server.create_user("root2@example.com", role=Role.admin)
    assert _training(server, root, body["id"]).id == body["id"]


async def _users(session: AsyncSession) -> dict[str, User]:
    from sqlalchemy import select

    return {user.email: user for user in await session.scalars(select(User))}


def test_dataset_dir_and_heldout_prompts(
    server: LiveServer, alice: httpx.Client, tmp_path: Path
) -> None:
    rows = [
        {
            "messages": [
                {"role": "system", "content": f"system {n}"},
                {"role": "user", "content": f"first {n}"},
                {"role": "assistant", "content": f"reply {n}"},
                {"role": "user", "content": f"question {n}"},
                {"role": "assistant", "content": f"answer {n}"},
            ]
        }
        for n in range(10)
    ]
    body = created(alice, jsonl(rows), split_percent=30, split_seed=3)
    user = server.db(lambda s: _users(s))["alice@example.com"]
    ds = _training(server, user, body["id"])
    name = write_dataset_dir(ds, tmp_path / "job", with_heldout=True)
    assert name == f"llmforge_dataset_{ds.id}_train"
    info = json.loads((tmp_path / "job" / "dataset_info.json").read_text())
    assert set(info) == {name, f"llmforge_dataset_{ds.id}_heldout"}
    assert (tmp_path / "job" / "train.jsonl").read_text() == ds.train_file.read_text()
    assert ds.heldout_file is not None
    assert (tmp_path / "job" / "heldout.jsonl").read_text() == ds.heldout_file.read_text()
    again = write_dataset_dir(ds, tmp_path / "job")
    assert again == name
    assert set(json.loads((tmp_path / "job" / "dataset_info.json").read_text())) == {name}

    prompts = heldout_records(ds)
    assert len(prompts) == 3
    n = prompts[0]["prompt"].removeprefix("question ")
    assert prompts[0] == {
        "prompt": f"question {n}",
        "reference": f"answer {n}",
        "system": f"system {n}",
    }
    no_split = created(alice, jsonl(ALPACA))
    assert heldout_records(_training(server, user, no_split["id"])) == []


def test_heldout_prompts_of_alpaca_and_preferences(server: LiveServer, alice: httpx.Client) -> None:
    user_rows = [
        {"instruction": "Translate", "input": f"word {n}", "chosen": "ok", "rejected": "no"}
        for n in range(4)
    ]
    body = created(alice, jsonl(user_rows), split_percent=50)
    user = server.db(lambda s: _users(s))["alice@example.com"]
    prompts = heldout_records(_training(server, user, body["id"]))
    assert len(prompts) == 2
    assert prompts[0]["prompt"].startswith("Translate\nword ")
    assert (prompts[0]["reference"], prompts[0]["system"]) == ("ok", None)


def _job(dataset_id: int, user_id: int, base_id: int, status: JobStatus) -> TrainingJob:
    return TrainingJob(
        user_id=user_id,
        name="job",
        base_model_id=base_id,
        dataset_id=dataset_id,
        method="lora",
        stage="sft",
        template="smollm2",
        status=status,
    )


def test_delete_is_refused_while_jobs_use_the_dataset(
    server: LiveServer, alice: httpx.Client
) -> None:
    body = created(alice, jsonl(ALPACA))
    user = server.db(lambda s: _users(s))["alice@example.com"]

    async def add_job(session: AsyncSession) -> int:
        base = BaseModel(name="tiny", path="/models/tiny", template="smollm2")
        session.add(base)
        await session.flush()
        job = _job(body["id"], user.id, base.id, JobStatus.pending)
        session.add(job)
        await session.flush()
        return job.id

    job_id = server.db(add_job)
    refused = alice.delete(f"/api/datasets/{body['id']}")
    assert refused.status_code == 409
    assert refused.json()["code"] == "dataset_in_use"

    async def set_status(session: AsyncSession, status: JobStatus) -> None:
        job = await session.get(TrainingJob, job_id)
        assert job is not None
        job.status = status

    server.db(lambda s: set_status(s, JobStatus.failed))
    finished = alice.delete(f"/api/datasets/{body['id']}")
    assert (finished.status_code, finished.json()["code"]) == (409, "dataset_has_jobs")

    async def drop_job(session: AsyncSession) -> None:
        job = await session.get(TrainingJob, job_id)
        await session.delete(job)

    server.db(drop_job)
    assert alice.delete(f"/api/datasets/{body['id']}").status_code == 204
