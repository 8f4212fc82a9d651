import json
import logging

import pytest

from llmforge.core.logging import configure_logging, request_id_var


def test_log_lines_are_json_with_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    token = request_id_var.set("req-123")
    try:
        logging.getLogger("llmforge.test").info("hello", extra={"user_id": 7})
    finally:
        request_id_var.reset(token)
        logging.getLogger().handlers = []
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["message"] == "hello" and line["request_id"] == "req-123"
    assert line["level"] == "INFO" and line["user_id"] == 7
