"""The dataset of a path, if the user may see it (another user's is a 404)."""

from typing import Annotated

from fastapi import Depends, Path

from llmforge.auth.deps import CurrentUser
from llmforge.datasets import service
from llmforge.datasets.models import Dataset
from llmforge.db import SessionDep

DatasetId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def visible_dataset(dataset_id: DatasetId, user: CurrentUser, session: SessionDep) -> Dataset:
    return await service.visible_dataset(session, user, dataset_id)


VisibleDataset = Annotated[Dataset, Depends(visible_dataset)]
