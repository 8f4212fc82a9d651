import json
from typing import Any

import httpx

ALPACA = [
    {"instruction": "What is the capital of France?", "input": "", "output": "Paris."},
    {"instruction": "Translate", "input": "bonjour", "output": "hello", "system": "Be brief."},
    {"instruction": "Add", "input": "2+2", "output": "4"},
    {"instruction": "Continue", "output": "Sure.", "history": [["Hi", "Hello!"]]},
]


def jsonl(records: list[Any]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def upload(
    client: httpx.Client, content: str | bytes, filename: str = "data.jsonl", **params: Any
) -> httpx.Response:
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        "/api/datasets",
        params={"filename": filename, **params},
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )


def created(client: httpx.Client, content: str | bytes, **kwargs: Any) -> dict[str, Any]:
    response = upload(client, content, **kwargs)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def records(client: httpx.Client, dataset_id: int, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/datasets/{dataset_id}/records", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
