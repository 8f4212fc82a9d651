"""Read Server-Sent Events from a streamed httpx response, as a browser's EventSource would."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Event:
    name: str
    data: Any


def iter_events(response: httpx.Response) -> Iterator[Event]:
    name, data_lines = "message", []
    for line in response.iter_lines():
        if line == "":
            if data_lines:
                yield Event(name, json.loads("\n".join(data_lines)))
            name, data_lines = "message", []
        elif line.startswith("event:"):
            name = line[len("event:") :].strip()
        elif line.startswith("data:"):
            data_lines.append(line[len("data:") :].strip())


def collect(client: httpx.Client, path: str, body: dict[str, Any]) -> list[Event]:
    """POST and read the whole stream; a non-stream error answer is returned as one 'http' event."""
    with client.stream("POST", path, json=body) as response:
        if response.headers.get("content-type", "").startswith("application/json"):
            response.read()
            return [Event("http", {"status": response.status_code, **response.json()})]
        assert response.status_code == 200, response.status_code
        return list(iter_events(response))


def by_name(events: list[Event], name: str) -> list[Any]:
    return [event.data for event in events if event.name == name]


def text_of(events: list[Event], name: str) -> str:
    return "".join(data["text"] for data in by_name(events, name))
