"""A cancel racing the scheduler: the API read the job as queued, the scheduler claimed it before
the API wrote. The cancel must not overwrite `running` with `cancelled` (the process would run on
and end `succeeded`); it asks the running job to stop instead."""

from typing import Any

import httpx
from sqlalchemy import update

from llmforge.db import transaction
from llmforge.training import service
from llmforge.training.models import CancelMode, JobStatus, TrainingJob
from tests.conftest import LiveServer
from tests.training.helpers import add_base_model, add_dataset, create_job, job_body, use_scheduler


def queued_job(server: LiveServer, alice: httpx.Client) -> int:
    server.call(use_scheduler(server).stop())  # nobody claims it but the test
    body = job_body(add_base_model(server), add_dataset(server, "alice@example.com"))
    job_id = int(create_job(alice, body)["id"])

    async def queue(session: Any) -> None:
        job = await session.get(TrainingJob, job_id)
        job.status = JobStatus.queued

    server.db(queue)
    return job_id


def test_a_cancel_that_loses_the_race_to_a_claim_asks_the_running_job_to_stop(
    server: LiveServer, alice: httpx.Client
) -> None:
    job_id = queued_job(server, alice)

    async def race(session: Any) -> None:
        job = await session.get(TrainingJob, job_id)
        assert job.status is JobStatus.queued
        async with transaction(server.app.state.session_factory) as scheduler:
            await scheduler.execute(
                update(TrainingJob)
                .where(TrainingJob.id == job_id)
                .values(status=JobStatus.running, claimed_by="another-scheduler")
            )
        await service.cancel_job(session, job, CancelMode.force)

    server.db(race)
    job = alice.get(f"/api/training/jobs/{job_id}").json()
    assert (job["status"], job["cancel_requested"]) == ("running", "force")


def test_a_queued_job_is_cancelled_at_once(server: LiveServer, alice: httpx.Client) -> None:
    job_id = queued_job(server, alice)
    cancelled = alice.post(f"/api/training/jobs/{job_id}/cancel", json={"mode": "force"})
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["finished_at"] is not None) == (
        "cancelled",
        True,
    )
    history = alice.get(f"/api/training/jobs/{job_id}/transitions").json()
    assert (history[-1]["from_status"], history[-1]["to_status"]) == ("queued", "cancelled")
    again = alice.post(f"/api/training/jobs/{job_id}/cancel")
    assert (again.status_code, again.json()["code"]) == (409, "job_not_active")
