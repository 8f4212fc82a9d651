"""A real LoRA fine-tune of the tiny random llama, then serving base + adapter (CPU)."""

import json
from pathlib import Path

import httpx

from tests.llamafactory_env import run_train, serve_openai_api, tiny_model_path


def test_tiny_lora_train_then_serve_adapter(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    rows = [
        {"instruction": f"Say the number {i}.", "input": "", "output": f"The number is {i}."}
        for i in range(20)
    ]
    (data / "numbers.json").write_text(json.dumps(rows))
    columns = {"prompt": "instruction", "query": "input", "response": "output"}
    info = {"numbers": {"file_name": "numbers.json", "columns": columns}}
    (data / "dataset_info.json").write_text(json.dumps(info))
    out = tmp_path / "out"
    run_train(
        {
            "model_name_or_path": str(tiny_model_path()),
            "stage": "sft",
            "do_train": True,
            "finetuning_type": "lora",
            "lora_rank": 8,
            "lora_alpha": 16,
            "lora_target": "all",
            "dataset": "numbers",
            "dataset_dir": str(data),
            "template": "smollm2",
            "cutoff_len": 256,
            "output_dir": str(out),
            "logging_steps": 1,
            "save_steps": 5,
            "overwrite_output_dir": True,
            "report_to": "none",
            "per_device_train_batch_size": 2,
            "learning_rate": 1.0e-3,
            "max_steps": 10,
            "preprocessing_num_workers": 1,
            "dataloader_num_workers": 0,
            "seed": 42,
        },
        tmp_path,
    )
    assert (out / "adapter_model.safetensors").is_file()
    assert (out / "adapter_config.json").is_file()
    steps = [json.loads(line) for line in (out / "trainer_log.jsonl").read_text().splitlines()]
    losses = [s["loss"] for s in steps if "loss" in s]
    assert len(losses) == 10
    assert all(loss > 0 for loss in losses)
    assert json.loads((out / "train_results.json").read_text())["train_loss"] > 0

    with serve_openai_api(
        tiny_model_path(), model_name="tiny-lora", adapter=out, workdir=tmp_path / "api"
    ) as url:
        assert [m["id"] for m in httpx.get(f"{url}/models").json()["data"]] == ["tiny-lora"]
        body = {
            "model": "tiny-lora",
            "messages": [{"role": "user", "content": "Say the number 3."}],
            "stream": True,
            "max_tokens": 8,
        }
        with httpx.stream("POST", f"{url}/chat/completions", json=body, timeout=60) as resp:
            assert resp.status_code == 200
            lines = [ln for ln in resp.iter_lines() if ln.startswith("data:")]
        assert lines[-1] == "data: [DONE]"
    log = (tmp_path / "api" / "server.log").read_text()
    assert f"Loaded adapter(s): {out}" in log
