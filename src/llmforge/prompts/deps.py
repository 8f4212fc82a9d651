"""Template lookups that check visibility and edit rights, so no route can forget them."""

from typing import Annotated

from fastapi import Depends, Path

from llmforge.auth.deps import CurrentUser
from llmforge.db import SessionDep
from llmforge.prompts import service
from llmforge.prompts.models import PromptTemplate

TemplateId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def visible_template(
    template_id: TemplateId, user: CurrentUser, session: SessionDep
) -> PromptTemplate:
    """The caller's own template or a shared one; anything else is a 404."""
    return await service.get_visible(session, user, template_id)


async def editable_template(
    template_id: TemplateId, user: CurrentUser, session: SessionDep
) -> PromptTemplate:
    """A template the caller may change: 404 when they cannot see it, 403
    `template_read_only` when they can see it but it is shared and they are not an admin."""
    template = await service.get_visible(session, user, template_id, for_update=True)
    service.ensure_editable(template, user)
    return template


VisibleTemplate = Annotated[PromptTemplate, Depends(visible_template)]
EditableTemplate = Annotated[PromptTemplate, Depends(editable_template)]
