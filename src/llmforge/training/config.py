"""From a job's choices to LLaMA-Factory's `train` YAML: hyperparameters with defaults and
ranges, methods (LoRA, QLoRA 4/8-bit, full, freeze), presets, and the check of a YAML edited
by hand (known keys only; paths and the keys llmforge manages cannot be changed)."""

from enum import StrEnum
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from llmforge.core.errors import InvalidInput, describe_validation_errors
from llmforge.training.known_keys import KNOWN_KEYS, TEMPLATES


class Method(StrEnum):
    lora = "lora"
    qlora4 = "qlora4"
    qlora8 = "qlora8"
    full = "full"
    freeze = "freeze"


class Stage(StrEnum):
    sft = "sft"
    dpo = "dpo"


Scheduler = Literal[
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "cosine_with_min_lr",
]
Precision = Literal["auto", "bf16", "fp16", "fp32"]
LoraTarget = Annotated[str, Field(pattern=r"^(all|[A-Za-z_][\w.]*(,\s*[A-Za-z_][\w.]*)*)$")]


class Hyperparameters(BaseModel):
    """The knobs of a job; every one has a default and a range."""

    model_config = ConfigDict(extra="forbid")

    learning_rate: Annotated[float, Field(gt=0, le=1)] = 1e-4
    num_train_epochs: Annotated[float, Field(gt=0, le=1000)] = 3.0
    max_steps: Annotated[int | None, Field(ge=1, le=10_000_000)] = None
    """When set, the number of optimizer steps (wins over epochs)."""
    per_device_train_batch_size: Annotated[int, Field(ge=1, le=1024)] = 2
    gradient_accumulation_steps: Annotated[int, Field(ge=1, le=1024)] = 4
    cutoff_len: Annotated[int, Field(ge=16, le=262_144)] = 1024
    warmup_ratio: Annotated[float, Field(ge=0, le=1)] = 0.0
    lr_scheduler_type: Scheduler = "cosine"
    lora_rank: Annotated[int, Field(ge=1, le=1024)] = 8
    lora_alpha: Annotated[int, Field(ge=1, le=4096)] = 16
    lora_dropout: Annotated[float, Field(ge=0, lt=1)] = 0.0
    lora_target: LoraTarget = "all"
    freeze_trainable_layers: Annotated[int, Field(ge=-1024, le=1024)] = 2
    save_steps: Annotated[int, Field(ge=1, le=10_000_000)] = 500
    logging_steps: Annotated[int, Field(ge=1, le=100_000)] = 1
    val_size: Annotated[float, Field(ge=0, lt=1)] = 0.0
    """Share of the training records held out for eval_loss (0: no evaluation)."""
    eval_steps: Annotated[int, Field(ge=1, le=10_000_000)] = 100
    precision: Precision = "auto"
    """auto: bf16 on GPUs, fp32 on the CPU."""
    pref_beta: Annotated[float, Field(gt=0, le=10)] = 0.1
    """DPO only: the beta of the preference loss."""
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 42
    max_samples: Annotated[int | None, Field(ge=1, le=100_000_000)] = None


class TrainingPreset(BaseModel):
    id: str
    method: Method
    hyperparameters: Hyperparameters


PRESETS: tuple[TrainingPreset, ...] = (
    TrainingPreset(
        id="quick-test",
        method=Method.lora,
        hyperparameters=Hyperparameters(
            learning_rate=1e-3,
            max_steps=10,
            per_device_train_batch_size=2,
            gradient_accumulation_steps=1,
            cutoff_len=256,
            save_steps=5,
            lr_scheduler_type="linear",
        ),
    ),
    TrainingPreset(id="lora-standard", method=Method.lora, hyperparameters=Hyperparameters()),
    TrainingPreset(
        id="qlora-low-memory",
        method=Method.qlora4,
        hyperparameters=Hyperparameters(
            learning_rate=2e-4,
            per_device_train_batch_size=1,
            gradient_accumulation_steps=16,
            lora_rank=16,
            lora_alpha=32,
            lora_dropout=0.05,
        ),
    ),
    TrainingPreset(
        id="full-small-model",
        method=Method.full,
        hyperparameters=Hyperparameters(
            learning_rate=1e-5,
            num_train_epochs=2.0,
            per_device_train_batch_size=1,
            gradient_accumulation_steps=8,
            warmup_ratio=0.1,
        ),
    ),
)

# Keys llmforge writes itself: a hand-edited YAML may not change them.
MANAGED_KEYS = frozenset(
    {
        "model_name_or_path",
        "stage",
        "do_train",
        "finetuning_type",
        "quantization_bit",
        "quantization_method",
        "dataset",
        "dataset_dir",
        "eval_dataset",
        "template",
        "output_dir",
        "overwrite_output_dir",
        "resume_from_checkpoint",
        "report_to",
        "use_swanlab",
        "swanlab_project",
        "swanlab_run_name",
        "swanlab_mode",
        "swanlab_logdir",
        "swanlab_api_key",
        "swanlab_workspace",
        "plot_loss",
        "use_cpu",
    }
)
# Keys that name files, folders or remote services: never settable by hand.
_FORBIDDEN_SUFFIXES = ("_dir", "_path", "_folder", "_file", "_token")
_FORBIDDEN_KEYS = frozenset(
    {
        "deepspeed",
        "push_to_hub",
        "hub_model_id",
        "hub_strategy",
        "hub_private_repo",
        "trust_remote_code",
        "ray_run_name",
        "ray_storage_filesystem",
        "fsdp_config",
        "accelerator_config",
        "mp_parameters",
    }
)
JOB_DIR = "<job-dir>"
"""Stands for the job's folder in a preview, before the job (and so its folder) exists."""


class SwanlabOptions(BaseModel):
    mode: Literal["off", "local", "cloud"] = "local"
    project: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\w.\-]+$")] = "llmforge"
    workspace: Annotated[str | None, Field(max_length=100, pattern=r"^[\w.\-]+$")] = None


class JobPlan(BaseModel):
    """What a job trains: the inputs of `build_config` that are not paths."""

    base_model_path: str
    dataset_name: str
    method: Method
    stage: Stage
    template: str
    hyperparameters: Hyperparameters
    gpu_count: int
    run_name: str
    swanlab: SwanlabOptions
    swanlab_available: bool
    overrides: dict[str, Any] = Field(default_factory=dict)


def _method_keys(method: Method, params: Hyperparameters) -> dict[str, Any]:
    if method is Method.full:
        return {"finetuning_type": "full"}
    if method is Method.freeze:
        return {
            "finetuning_type": "freeze",
            "freeze_trainable_layers": params.freeze_trainable_layers,
            "freeze_trainable_modules": "all",
        }
    keys: dict[str, Any] = {
        "finetuning_type": "lora",
        "lora_rank": params.lora_rank,
        "lora_alpha": params.lora_alpha,
        "lora_dropout": params.lora_dropout,
        "lora_target": params.lora_target,
    }
    if method in (Method.qlora4, Method.qlora8):
        keys |= {"quantization_bit": 4 if method is Method.qlora4 else 8}
        keys |= {"quantization_method": "bnb"}
    return keys


def _schedule_keys(params: Hyperparameters) -> dict[str, Any]:
    keys: dict[str, Any] = {
        "per_device_train_batch_size": params.per_device_train_batch_size,
        "gradient_accumulation_steps": params.gradient_accumulation_steps,
        "learning_rate": params.learning_rate,
        "lr_scheduler_type": params.lr_scheduler_type,
        "warmup_ratio": params.warmup_ratio,
    }
    if params.max_steps is not None:
        keys["max_steps"] = params.max_steps
    else:
        keys["num_train_epochs"] = params.num_train_epochs
    return keys


def _precision_keys(params: Hyperparameters, gpu_count: int) -> dict[str, Any]:
    precision = params.precision
    if precision == "auto":
        precision = "bf16" if gpu_count > 0 else "fp32"
    keys: dict[str, Any] = {}
    if precision in ("bf16", "fp16"):
        keys[precision] = True
    if gpu_count == 0:
        keys["use_cpu"] = True
    return keys


def _swanlab_keys(plan: JobPlan, job_dir: str) -> dict[str, Any]:
    if plan.swanlab.mode == "off" or not plan.swanlab_available:
        return {}
    keys: dict[str, Any] = {
        "use_swanlab": True,
        "swanlab_project": plan.swanlab.project,
        "swanlab_run_name": plan.run_name,
        "swanlab_mode": plan.swanlab.mode,
        "swanlab_logdir": f"{job_dir}/swanlab",
    }
    if plan.swanlab.workspace:
        keys["swanlab_workspace"] = plan.swanlab.workspace
    return keys


def build_config(plan: JobPlan, job_dir: str, *, resume: bool = False) -> dict[str, Any]:
    """The whole `llamafactory-cli train` configuration, in a readable order. The SwanLab API key
    is never part of it (it reaches the process through its environment)."""
    params = plan.hyperparameters
    config: dict[str, Any] = {
        "model_name_or_path": plan.base_model_path,
        "template": plan.template,
        "stage": plan.stage.value,
        "do_train": True,
        **_method_keys(plan.method, params),
        "dataset": plan.dataset_name,
        "dataset_dir": f"{job_dir}/data",
        "cutoff_len": params.cutoff_len,
        "preprocessing_num_workers": 1,
        "dataloader_num_workers": 0,
        "output_dir": f"{job_dir}/output",
        "overwrite_output_dir": not resume,
        "logging_steps": params.logging_steps,
        "save_steps": params.save_steps,
        "plot_loss": True,
        "report_to": "none",
        **_schedule_keys(params),
        **_precision_keys(params, plan.gpu_count),
        "seed": params.seed,
    }
    if plan.stage is Stage.dpo:
        config["pref_beta"] = params.pref_beta
    if params.max_samples is not None:
        config["max_samples"] = params.max_samples
    if params.val_size > 0:
        config |= {
            "val_size": params.val_size,
            "per_device_eval_batch_size": params.per_device_train_batch_size,
            "eval_strategy": "steps",
            "eval_steps": params.eval_steps,
        }
    config |= _swanlab_keys(plan, job_dir)
    return config | plan.overrides


def to_yaml(config: dict[str, Any]) -> str:
    text: str = yaml.safe_dump(
        config, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    return text


def ensure_template(template: str) -> None:
    if template not in TEMPLATES:
        raise InvalidInput(
            f"Unknown chat template {template!r}; choose one LLaMA-Factory knows "
            "(for example smollm2, qwen3, llama3, chatml).",
            code="unknown_template",
        )


def _is_forbidden(key: str) -> bool:
    return key in _FORBIDDEN_KEYS or key.endswith(_FORBIDDEN_SUFFIXES) or key.startswith("hub_")


def _plain_value(value: Any) -> bool:
    if isinstance(value, list):
        return all(isinstance(item, str | int | float | bool) for item in value)
    return value is None or isinstance(value, str | int | float | bool)


def parse_yaml_mapping(text: str) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InvalidInput(f"The YAML cannot be read{where}.", code="invalid_yaml") from None
    if not isinstance(loaded, dict) or not all(isinstance(key, str) for key in loaded):
        raise InvalidInput("The YAML must be a mapping of keys to values.", code="invalid_yaml")
    return loaded


def overrides_from_yaml(text: str, generated: dict[str, Any]) -> dict[str, Any]:
    """The keys a hand-edited YAML changes or adds relative to the generated one. Unknown keys,
    keys that name paths or services, and changes to the keys llmforge manages are refused;
    hyperparameters keep their ranges. A key left out keeps its generated value."""
    edited = parse_yaml_mapping(text)
    unknown = sorted(key for key in edited if key not in KNOWN_KEYS)
    if unknown:
        raise InvalidInput(
            f"Unknown LLaMA-Factory key(s): {', '.join(unknown)}.",
            code="unknown_config_key",
            details={"keys": unknown},
        )
    changed = {key: value for key, value in edited.items() if generated.get(key) != value}
    managed = sorted(key for key in changed if key in MANAGED_KEYS or _is_forbidden(key))
    if managed:
        raise InvalidInput(
            f"These keys are set by llmforge and cannot be changed here: {', '.join(managed)} "
            "(choose the base model, dataset, method and template in the form).",
            code="managed_config_key",
            details={"keys": managed},
        )
    odd = sorted(key for key, value in changed.items() if not _plain_value(value))
    if odd:
        raise InvalidInput(
            f"Only plain values (text, numbers, true/false, lists) are accepted: {', '.join(odd)}.",
            code="invalid_config_value",
            details={"keys": odd},
        )
    _check_ranges(changed)
    return changed


def _check_ranges(changed: dict[str, Any]) -> None:
    fields = set(Hyperparameters.model_fields)
    known = {key: value for key, value in changed.items() if key in fields}
    try:
        Hyperparameters.model_validate(known)
    except ValidationError as exc:
        message, details = describe_validation_errors(list(exc.errors()))
        raise InvalidInput(message, code="hyperparameter_out_of_range", details=details) from None
