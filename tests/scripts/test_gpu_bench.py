"""scripts/gpu_bench.py runs on CPU in quick mode and writes complete JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu_bench.py"


def test_gpu_bench_runs_on_cpu_quick(tmp_path):
    out = tmp_path / "gpu.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--quick", "--json", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["device"] == "cpu" and result["quick"] is True
    assert "2*N" in result["flop_formula"]
    [model] = result["models"]
    assert model["model"] == "tiny" and model["non_embedding_params"] > 0
    for part in ("scoring", "finetune"):
        figures = model[part]
        assert figures["seconds"] > 0 and figures["tflops"] >= 0
        assert figures["fraction_of_peak"] is None  # no known peak for a CPU
    assert model["finetune"]["steps"] == 3 * 4  # 16 texts / batch 4, 3 epochs
