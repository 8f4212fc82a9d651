from fastapi import status

from llmforge.audit import service as audit
from llmforge.auth.deps import CurrentUser
from llmforge.core.client import ClientDep
from llmforge.core.errors import NotFound
from llmforge.core.routing import CapabilityRouter
from llmforge.db import SessionDep
from llmforge.evaluation import service
from llmforge.evaluation.schemas import EvaluationRead
from llmforge.training.deps import OwnedJob

router = CapabilityRouter(prefix="/api/training/jobs", tags=["training"])


@router.get("/{job_id}/evaluation")
async def get_evaluation(job: OwnedJob, session: SessionDep) -> EvaluationRead:
    """The job's base-vs-fine-tuned evaluation on its held-out split. 404
    `evaluation_not_found` when none was started."""
    evaluation = await service.get_evaluation(session, job)
    if evaluation is None:
        raise NotFound(f"Training job {job.id} has no evaluation.", code="evaluation_not_found")
    return await service.read(session, evaluation)


@router.post("/{job_id}/evaluation", status_code=status.HTTP_202_ACCEPTED)
async def start_evaluation(
    job: OwnedJob, user: CurrentUser, session: SessionDep, client: ClientDep
) -> EvaluationRead:
    """Evaluate a succeeded job (again): its base model and its version are served, answer the
    held-out prompts in a batch run, and are scored by similarity to the references. 409
    `job_not_succeeded`, `no_model_version`, `no_heldout_split`, `evaluation_running`."""
    evaluation = await service.start(session, job)
    await audit.record(
        session,
        "training_job.evaluate",
        actor=user,
        client=client,
        target_type="training_job",
        target_id=str(job.id),
        detail={"evaluation_id": evaluation.id},
    )
    await session.refresh(evaluation)
    return await service.read(session, evaluation)
