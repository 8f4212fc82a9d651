"""Fit a conversation into the model's context: keep the system prompt and the newest turns."""

from llmforge.core.errors import InvalidInput
from llmforge.llm import ChatMessage as LLMMessage
from llmforge.llm.tokens import (
    MESSAGE_OVERHEAD,
    REPLY_OVERHEAD,
    count_tokens,
    off_the_loop_if_long,
)

DEFAULT_REPLY_RESERVE = 1024


def reply_reserve(context_length: int, max_tokens: int | None) -> int:
    return max_tokens or min(DEFAULT_REPLY_RESERVE, context_length // 4)


def _sizes(texts: list[str]) -> list[int]:
    return [count_tokens(text) + MESSAGE_OVERHEAD for text in texts]


async def fit_context(
    system_prompt: str,
    messages: list[LLMMessage],
    context_length: int | None,
    max_tokens: int | None,
) -> tuple[list[LLMMessage], int]:
    """Return the messages that fit (newest kept) and how many older ones were left out.
    The newest message must fit, or the request is refused before anything is stored."""
    if context_length is None:
        return messages, 0
    texts = [system_prompt, *(message.content for message in messages)]
    sizes = await off_the_loop_if_long(sum(map(len, texts)), lambda: _sizes(texts))
    system_size = sizes[0] if system_prompt else 0
    budget = (
        context_length - reply_reserve(context_length, max_tokens) - system_size - REPLY_OVERHEAD
    )
    kept, used = 0, 0
    for size in reversed(sizes[1:]):
        if used + size > budget:
            break
        kept, used = kept + 1, used + size
    if kept == 0:
        raise InvalidInput(
            f"The message is too long for this model's context of {context_length} tokens.",
            code="context_overflow",
            details={"context_length": context_length, "message_tokens": sizes[-1]},
        )
    fitting = messages[len(messages) - kept :]
    while fitting and fitting[0].role == "assistant":
        fitting = fitting[1:]
    return fitting, len(messages) - len(fitting)
