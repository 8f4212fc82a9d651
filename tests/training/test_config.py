"""The LLaMA-Factory YAML generated from a job's choices, and the checks of a YAML edited by
hand."""

from typing import Any

import pytest
import yaml

from llmforge.core.errors import InvalidInput
from llmforge.training.config import (
    JOB_DIR,
    PRESETS,
    Hyperparameters,
    JobPlan,
    Method,
    Stage,
    SwanlabOptions,
    build_config,
    ensure_template,
    overrides_from_yaml,
    to_yaml,
)
from llmforge.training.known_keys import KNOWN_KEYS


def plan(**changes: Any) -> JobPlan:
    fields: dict[str, Any] = {
        "base_model_path": "/models/tiny",
        "dataset_name": "llmforge_dataset_1_train",
        "method": Method.lora,
        "stage": Stage.sft,
        "template": "smollm2",
        "hyperparameters": Hyperparameters(max_steps=10),
        "gpu_count": 0,
        "run_name": "demo-1",
        "swanlab": SwanlabOptions(),
        "swanlab_available": True,
    }
    return JobPlan(**(fields | changes))


def test_lora_on_the_cpu_slot() -> None:
    config = build_config(plan(), "/data/jobs/1")
    assert config["model_name_or_path"] == "/models/tiny"
    assert config["stage"] == "sft" and config["do_train"] is True
    assert config["finetuning_type"] == "lora"
    assert (config["lora_rank"], config["lora_alpha"], config["lora_target"]) == (8, 16, "all")
    assert config["dataset"] == "llmforge_dataset_1_train"
    assert config["dataset_dir"] == "/data/jobs/1/data"
    assert config["output_dir"] == "/data/jobs/1/output"
    assert config["overwrite_output_dir"] is True
    assert config["max_steps"] == 10 and "num_train_epochs" not in config
    assert config["use_cpu"] is True and "bf16" not in config  # auto precision on the CPU
    assert config["use_swanlab"] is True and config["swanlab_mode"] == "local"
    assert config["swanlab_logdir"] == "/data/jobs/1/swanlab"
    assert set(config) <= KNOWN_KEYS
    assert yaml.safe_load(to_yaml(config)) == config


@pytest.mark.parametrize(
    ("method", "expected", "absent"),
    [
        (Method.qlora4, {"finetuning_type": "lora", "quantization_bit": 4}, ()),
        (Method.qlora8, {"finetuning_type": "lora", "quantization_bit": 8}, ()),
        (Method.full, {"finetuning_type": "full"}, ("lora_rank", "quantization_bit")),
        (
            Method.freeze,
            {"finetuning_type": "freeze", "freeze_trainable_layers": 2},
            ("lora_rank",),
        ),
    ],
)
def test_methods(method: Method, expected: dict[str, Any], absent: tuple[str, ...]) -> None:
    config = build_config(plan(method=method, gpu_count=1), JOB_DIR)
    assert expected.items() <= config.items()
    assert not set(absent) & set(config)
    assert config["bf16"] is True and "use_cpu" not in config  # auto precision on a GPU


def test_resume_dpo_epochs_eval_and_no_swanlab() -> None:
    params = Hyperparameters(num_train_epochs=2, val_size=0.1, eval_steps=5, precision="fp16")
    config = build_config(
        plan(stage=Stage.dpo, hyperparameters=params, swanlab_available=False, gpu_count=1),
        "/j",
        resume=True,
    )
    assert config["overwrite_output_dir"] is False
    assert config["stage"] == "dpo" and config["pref_beta"] == 0.1
    assert config["num_train_epochs"] == 2 and "max_steps" not in config
    assert config["val_size"] == 0.1 and config["eval_strategy"] == "steps"
    assert config["fp16"] is True
    assert not any(key.startswith("swanlab") or key == "use_swanlab" for key in config)


def test_presets_are_valid_and_distinct() -> None:
    assert len({preset.id for preset in PRESETS}) == len(PRESETS)
    quick = next(p for p in PRESETS if p.id == "quick-test")
    assert quick.hyperparameters.max_steps == 10
    for preset in PRESETS:
        assert set(build_config(plan(method=preset.method), JOB_DIR)) <= KNOWN_KEYS


def test_unknown_template() -> None:
    ensure_template("smollm2")
    with pytest.raises(InvalidInput) as caught:
        ensure_template("no-such-template")
    assert caught.value.code == "unknown_template"


def test_advanced_yaml_keeps_the_changes() -> None:
    generated = build_config(plan(), JOB_DIR)
    edited = to_yaml(generated | {"lora_rank": 16, "weight_decay": 0.01, "max_grad_norm": 0.5})
    assert overrides_from_yaml(edited, generated) == {
        "lora_rank": 16,
        "weight_decay": 0.01,
        "max_grad_norm": 0.5,
    }
    assert overrides_from_yaml("logging_steps: 1\n", generated) == {}  # unchanged, left out keys
    assert build_config(plan(overrides={"lora_rank": 16}), JOB_DIR)["lora_rank"] == 16


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("lora_rank: [1, 2\n", "invalid_yaml"),
        ("- a\n- b\n", "invalid_yaml"),
        ("lora_rankk: 8\n", "unknown_config_key"),
        ("output_dir: /etc\n", "managed_config_key"),
        ("model_name_or_path: ../../secret\n", "managed_config_key"),
        ("deepspeed: ds.json\n", "managed_config_key"),
        ("tokenized_path: /tmp/x\n", "managed_config_key"),
        ("push_to_hub: true\n", "managed_config_key"),
        ("lora_rank: 0\n", "hyperparameter_out_of_range"),
        ("learning_rate: 5\n", "hyperparameter_out_of_range"),
        ("lr_scheduler_type: sometimes\n", "hyperparameter_out_of_range"),
        ("generating_args:\n  a: 1\n", "unknown_config_key"),
        ("lora_target: {a: 1}\n", "invalid_config_value"),
    ],
)
def test_advanced_yaml_refusals(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        overrides_from_yaml(text, build_config(plan(), JOB_DIR))
    assert caught.value.code == code, caught.value.message
    assert caught.value.message


@pytest.mark.parametrize(
    "bad",
    [
        {"learning_rate": 0},
        {"lora_rank": 2000},
        {"cutoff_len": 8},
        {"lr_scheduler_type": "x"},
        {"unknown": 1},
        {"lora_target": "q_proj; rm -rf /"},
        {"val_size": 1},
    ],
)
def test_hyperparameter_ranges(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="validation error"):
        Hyperparameters.model_validate(bad)
