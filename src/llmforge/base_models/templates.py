"""LLaMA-Factory chat template names: read from the installed LLaMA-Factory's source, else
the list LLaMA-Factory 0.9.5 registers (its `register_template(name=...)` calls)."""

import re
import shutil
from functools import lru_cache
from pathlib import Path

TEMPLATE_SOURCE = "site-packages/llamafactory/data/template.py"
_REGISTERED = re.compile(r'register_template\(\s*name="([^"]+)"')

LLAMAFACTORY_0_9_5_TEMPLATES = (
    "aeva",
    "alpaca",
    "bailing",
    "bailing_v2",
    "breeze",
    "chatglm3",
    "chatml",
    "chatml_de",
    "cohere",
    "cpm4",
    "custom",
    "dbrx",
    "deepseek",
    "deepseek3",
    "deepseekcoder",
    "deepseekr1",
    "default",
    "dots_ocr",
    "empty",
    "ernie",
    "ernie_nothink",
    "ernie_vl",
    "exaone",
    "falcon",
    "falcon_h1",
    "fewshot",
    "gemma",
    "gemma2",
    "gemma3",
    "gemma3n",
    "gemma4",
    "gemma4n",
    "glm4",
    "glm4_5v",
    "glm4_7",
    "glm4_moe",
    "glm4v",
    "glm_ocr",
    "glmz1",
    "gpt_oss",
    "granite3",
    "granite3_vision",
    "granite4",
    "hunyuan",
    "hunyuan_small",
    "hy3",
    "index",
    "intern2",
    "intern_s1",
    "intern_vl",
    "keye_vl",
    "kimi_vl",
    "lfm2",
    "lfm2_vl",
    "llama2",
    "llama2_zh",
    "llama3",
    "llama4",
    "llava",
    "llava_next",
    "llava_next_llama3",
    "llava_next_mistral",
    "llava_next_qwen",
    "llava_next_video",
    "llava_next_video_mistral",
    "llava_next_video_yi",
    "llava_next_yi",
    "mimo",
    "mimo_v2",
    "mimo_vl",
    "minicpm_o",
    "minicpm_v",
    "minicpm_v_4_6",
    "minimax1",
    "minimax2",
    "ministral",
    "ministral3",
    "mistral",
    "mistral_small",
    "mllama",
    "moonlight",
    "olmo",
    "openchat",
    "openchat-3.6",
    "opencoder",
    "paligemma",
    "paligemma_chat",
    "phi",
    "phi4",
    "phi4_mini",
    "phi_small",
    "pixtral",
    "qwen",
    "qwen2_audio",
    "qwen2_omni",
    "qwen2_vl",
    "qwen3",
    "qwen3_5",
    "qwen3_5_nothink",
    "qwen3_6",
    "qwen3_nothink",
    "qwen3_omni",
    "qwen3_omni_nothink",
    "qwen3_vl",
    "qwen3_vl_nothink",
    "sailor",
    "seed_coder",
    "seed_oss",
    "smollm",
    "smollm2",
    "solar",
    "starchat",
    "telechat2",
    "vicuna",
    "video_llava",
    "xuanyuan",
    "yi",
    "yi_vl",
    "youtu",
    "youtu_vl",
    "yuan",
    "zephyr",
)


def _template_source(cli: str) -> Path | None:
    """template.py of the virtualenv that holds `cli` (…/venv/bin/llamafactory-cli)."""
    located = shutil.which(cli)
    if located is None:
        return None
    venv = Path(located).parent.parent
    return next(iter(sorted(venv.glob(f"lib/python*/{TEMPLATE_SOURCE}"))), None)


@lru_cache(maxsize=8)
def _read_templates(source: Path) -> tuple[str, ...]:
    try:
        names = _REGISTERED.findall(source.read_text(encoding="utf-8"))
    except OSError:
        return ()
    return tuple(sorted(set(names)))


def known_templates(cli: str) -> tuple[str, ...]:
    """Template names the LLaMA-Factory behind `cli` accepts."""
    source = _template_source(cli)
    found = _read_templates(source) if source is not None else ()
    return found or LLAMAFACTORY_0_9_5_TEMPLATES
