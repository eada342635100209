"""scripts/measure_multi_label_tiers.py: both tiers scored on a tiny multi-label gold file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "measure_multi_label_tiers.py"


def test_both_tiers_get_set_figures(tmp_path, tiny_model_dir):
    rows = [{"text": f"{word} {topic} number {i}", "labels": [topic] + (["extra"] if i % 3 == 0 else [])}
            for i in range(40) for topic, word in (("sport", "ball"), ("food", "bread"))]
    for name, part in (("train.jsonl", rows[:60]), ("test.jsonl", rows[60:])):
        (tmp_path / name).write_text("".join(json.dumps(row) + "\n" for row in part), encoding="utf-8")
    out = tmp_path / "tiers.jsonl"
    done = subprocess.run([sys.executable, str(SCRIPT), "--data", str(tmp_path), "--pool", "60", "--labels", "12,20",
                           "--model", str(tiny_model_dir), "--min-steps", "2", "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    points = [json.loads(line) for line in out.read_text().splitlines()]
    assert [p["labels"] for p in points] == [12, 20]
    for point in points:
        assert set(point["fast"]) == set(point["finetuned"]) == {"micro_f1", "macro_f1", "subset_accuracy",
                                                                 "hamming_loss"}
        assert 0.0 <= point["finetuned"]["micro_f1"] <= 1.0 and point["train_s"] > 0
