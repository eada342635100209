"""The GPU check script runs end to end on CPU with the tiny model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_gpu_check_runs_on_cpu_with_the_tiny_model(tmp_path):
    out = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "scripts/gpu_check.py", "--model", "tiny", "--n", "50", "--train-n", "40",
         "--epochs", "1", "--device", "cpu", "--threads", "1", "--json", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "score texts/s" in result.stdout
    report = json.loads(out.read_text())
    (fp32,) = report["results"]
    assert fp32["precision"] == "fp32" and fp32["scoring_texts_per_s"] > 0 and fp32["steps"] >= 1
    assert "bf16" in report["skipped"]
