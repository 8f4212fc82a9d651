"""The three record formats LLaMA-Factory reads: checking one record, normalizing it to the
shape written to disk, and viewing any record as (system, turns) for statistics and evaluation.

alpaca:   {instruction, input, output, system, history: [[user, assistant], ...]}
sharegpt: {conversations: [{from, value}], system}   from: human | gpt | system | observation
          | function_call
openai:   {messages: [{role, content}]}               role: system | user | assistant | tool
Any of them may carry `chosen` and `rejected` (preference data for DPO); in sharegpt and openai
they are one assistant message each."""

from dataclasses import dataclass
from typing import Any, Literal

Format = Literal["alpaca", "sharegpt", "openai"]
FORMATS: tuple[Format, ...] = ("alpaca", "sharegpt", "openai")
PREFERENCE_KEYS = ("chosen", "rejected")

SHAREGPT_ROLES = {
    "human": "human",
    "user": "human",
    "gpt": "gpt",
    "assistant": "gpt",
    "system": "system",
    "observation": "observation",
    "tool": "observation",
    "function_call": "function_call",
}
OPENAI_ROLES = {"system", "user", "assistant", "tool"}
# The generic role of each tag, for statistics: user turns, assistant turns, tool turns.
GENERIC_ROLES = {
    "human": "user",
    "gpt": "assistant",
    "observation": "user",
    "function_call": "assistant",
    "user": "user",
    "assistant": "assistant",
    "tool": "user",
    "system": "system",
}


class RecordError(ValueError):
    """One record is not valid for its format; the message says why."""


@dataclass(frozen=True)
class Conversation:
    system: str
    turns: tuple[tuple[str, str], ...]
    """(role, text) with role user or assistant (tool results count as user turns)."""
    chosen: str | None = None
    rejected: str | None = None


def detect(record: Any) -> Format | None:
    """The format a record looks like, from its keys; None when it fits none."""
    if not isinstance(record, dict):
        return None
    for key in ("messages", "conversations"):
        messages = record.get(key)
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            return "sharegpt" if "from" in messages[0] or "value" in messages[0] else "openai"
    if "instruction" in record or "output" in record:
        return "alpaca"
    return None


def _text(record: dict[str, Any], key: str, *, required: bool) -> str:
    value = record.get(key)
    if value is None:
        if required:
            raise RecordError(f"'{key}' is missing.")
        return ""
    if not isinstance(value, str):
        raise RecordError(f"'{key}' must be a string, not {type(value).__name__}.")
    return value


def _history(record: dict[str, Any]) -> list[list[str]]:
    history = record.get("history")
    if history is None:
        return []
    if not isinstance(history, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) for t in pair)
        for pair in history
    ):
        raise RecordError("'history' must be a list of [user, assistant] string pairs.")
    return [list(pair) for pair in history]


def _alpaca(record: dict[str, Any], preferences: bool) -> dict[str, Any]:
    normalized: dict[str, Any] = {
        "instruction": _text(record, "instruction", required=True),
        "input": _text(record, "input", required=False),
    }
    if not (normalized["instruction"].strip() or normalized["input"].strip()):
        raise RecordError("'instruction' is empty.")
    if preferences:
        normalized["chosen"] = _text(record, "chosen", required=True)
        normalized["rejected"] = _text(record, "rejected", required=True)
    else:
        normalized["output"] = _text(record, "output", required=True)
    normalized["system"] = _text(record, "system", required=False)
    normalized["history"] = _history(record)
    return normalized


def _messages(record: dict[str, Any], fmt: Format) -> list[dict[str, Any]]:
    key, other = (
        ("conversations", "messages") if fmt == "sharegpt" else ("messages", "conversations")
    )
    if key not in record and other in record:
        key = other
    messages = record.get(key)
    if not isinstance(messages, list) or not messages:
        raise RecordError(f"'{key}' must be a non-empty list of messages.")
    return [_message(message, fmt, f"{key}[{index}]") for index, message in enumerate(messages)]


def _message(message: Any, fmt: Format, where: str) -> dict[str, Any]:
    role_key, content_key = ("from", "value") if fmt == "sharegpt" else ("role", "content")
    if not isinstance(message, dict):
        raise RecordError(f"{where} must be an object with '{role_key}' and '{content_key}'.")
    role = message.get(role_key)
    if fmt == "sharegpt":
        known = SHAREGPT_ROLES.get(role) if isinstance(role, str) else None
    else:
        known = role if role in OPENAI_ROLES else None
    if known is None:
        allowed = ", ".join(sorted(SHAREGPT_ROLES if fmt == "sharegpt" else OPENAI_ROLES))
        raise RecordError(f"{where}: unknown {role_key} {role!r} (expected one of {allowed}).")
    content = message.get(content_key)
    if not isinstance(content, str):
        raise RecordError(f"{where}: '{content_key}' must be a string.")
    return {role_key: known, content_key: content}


def _answer(record: dict[str, Any], key: str, fmt: Format) -> dict[str, Any]:
    value = record.get(key)
    if value is None:
        raise RecordError(f"'{key}' is missing.")
    if isinstance(value, str):
        return (
            {"from": "gpt", "value": value}
            if fmt == "sharegpt"
            else {
                "role": "assistant",
                "content": value,
            }
        )
    return _message(value, fmt, key)


def _chat(record: dict[str, Any], fmt: Format, preferences: bool) -> dict[str, Any]:
    key = "conversations" if fmt == "sharegpt" else "messages"
    normalized: dict[str, Any] = {key: _messages(record, fmt)}
    if fmt == "sharegpt":
        normalized["system"] = _text(record, "system", required=False)
    if preferences:
        normalized["chosen"] = _answer(record, "chosen", fmt)
        normalized["rejected"] = _answer(record, "rejected", fmt)
    return normalized


def normalize(record: Any, fmt: Format, preferences: bool) -> dict[str, Any]:
    """The record as written to disk (unknown keys dropped, roles canonical); RecordError when
    it does not fit the format."""
    if not isinstance(record, dict):
        raise RecordError(f"A record must be a JSON object, not {type(record).__name__}.")
    if fmt == "alpaca":
        return _alpaca(record, preferences)
    return _chat(record, fmt, preferences)


def has_preferences(record: Any) -> bool:
    return isinstance(record, dict) and any(key in record for key in PREFERENCE_KEYS)


def _answer_text(answer: Any) -> str | None:
    if answer is None:
        return None
    if isinstance(answer, str):
        return answer
    return str(answer.get("value", answer.get("content", "")))


def conversation(record: dict[str, Any], fmt: Format) -> Conversation:
    """A normalized record as system prompt plus (user | assistant, text) turns."""
    chosen, rejected = _answer_text(record.get("chosen")), _answer_text(record.get("rejected"))
    if fmt == "alpaca":
        turns: list[tuple[str, str]] = []
        for user, assistant in record.get("history", []):
            turns += [("user", user), ("assistant", assistant)]
        prompt = "\n".join(part for part in (record["instruction"], record["input"]) if part)
        turns.append(("user", prompt))
        if "output" in record:
            turns.append(("assistant", record["output"]))
        return Conversation(record.get("system", ""), tuple(turns), chosen, rejected)
    role_key, content_key, messages = (
        ("from", "value", record["conversations"])
        if fmt == "sharegpt"
        else ("role", "content", record["messages"])
    )
    system = record.get("system", "")
    pairs = [(GENERIC_ROLES[m[role_key]], m[content_key]) for m in messages]
    if pairs and pairs[0][0] == "system":
        system = pairs[0][1]
        pairs = pairs[1:]
    return Conversation(system, tuple(pairs), chosen, rejected)


def alternates(conv: Conversation) -> bool:
    """Whether LLaMA-Factory will accept the turns: user and assistant strictly alternating from
    a user turn, ending with the assistant (or with the user when the answers are chosen and
    rejected)."""
    expected = ["user", "assistant"]
    if any(role != expected[index % 2] for index, (role, _) in enumerate(conv.turns)):
        return False
    ends_with_user = len(conv.turns) % 2 == 1
    return ends_with_user if conv.chosen is not None else not ends_with_user and bool(conv.turns)
