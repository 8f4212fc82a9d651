"""What llmforge reads from model directories and the LLaMA-Factory install, without a server."""

import json
import struct
from pathlib import Path

import pytest

from llmforge.base_models.inspection import inspect_model
from llmforge.base_models.templates import LLAMAFACTORY_0_9_5_TEMPLATES, known_templates
from llmforge.serving.process import child_env
from llmforge.settings import Settings
from tests.llamafactory_env import llamafactory_cli, smollm2_path, tiny_model_path

SMOLLM2_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "hidden_size": 576,
    "num_hidden_layers": 30,
    "vocab_size": 49152,
    "intermediate_size": 1536,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "tie_word_embeddings": True,
}


def test_parameters_are_counted_from_safetensors_headers() -> None:
    facts = inspect_model(tiny_model_path())
    assert facts.architecture == "LlamaForCausalLM"
    assert 3_000_000 < (facts.parameter_count or 0) < 3_500_000
    weights = (tiny_model_path() / "model.safetensors").stat().st_size
    assert facts.size_bytes > weights


def test_without_safetensors_a_llama_config_gives_an_estimate(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(SMOLLM2_CONFIG))
    (tmp_path / "pytorch_model.bin").write_bytes(b"\0" * 10)
    facts = inspect_model(tmp_path)
    exact = inspect_model(smollm2_path()).parameter_count
    assert facts.parameter_count == exact  # the formula matches the real tensor shapes
    assert facts.size_bytes == (tmp_path / "config.json").stat().st_size + 10


def test_unreadable_facts_are_left_empty(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "mystery"}')
    (tmp_path / "model.safetensors").write_bytes(struct.pack("<Q", 10**12) + b"{}")
    facts = inspect_model(tmp_path)
    assert (facts.architecture, facts.parameter_count) == ("mystery", None)
    (tmp_path / "config.json").write_text("not json")
    assert inspect_model(tmp_path).architecture is None


def test_templates_are_read_from_the_installed_llamafactory() -> None:
    installed = known_templates(str(llamafactory_cli()))
    assert "smollm2" in installed and "qwen3" in installed
    assert known_templates("/no/such/llamafactory-cli") == LLAMAFACTORY_0_9_5_TEMPLATES


def test_the_cli_and_model_roots_settings(tmp_path: Path) -> None:
    venv_cli = tmp_path / "venv" / "bin" / "llamafactory-cli"
    venv_cli.parent.mkdir(parents=True)
    venv_cli.write_text("#!/bin/sh\n")
    settings = Settings(_env_file=None, data_dir=tmp_path, lf_home=tmp_path, llamafactory_cli="")  # type: ignore[call-arg]
    assert settings.resolved_llamafactory_cli == str(venv_cli)
    assert settings.resolved_model_roots == [(tmp_path / "models").resolve()]
    explicit = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, llamafactory_cli="/opt/lf", model_roots=[tmp_path]
    )
    assert explicit.resolved_llamafactory_cli == "/opt/lf"
    assert explicit.resolved_model_roots == [tmp_path.resolve()]


def test_children_get_no_llmforge_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMFORGE_ENCRYPTION_KEY", "secret")
    monkeypatch.setenv("API_KEY", "the parent's")
    env = child_env(API_PORT="1234")
    assert "LLMFORGE_ENCRYPTION_KEY" not in env and "API_KEY" not in env
    assert env["API_PORT"] == "1234" and env["HF_HUB_OFFLINE"] == "1"
