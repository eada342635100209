"""Import hygiene: the UI-facing modules stay free of torch; learner never
imports annotator, streamlit or sqlite."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

LEARNER = Path(__file__).resolve().parents[2] / "learner"


def test_light_modules_do_not_import_torch():
    code = (
        "import sys, learner, learner.strategies, learner.metrics, learner.coldstart, learner.head, learner.errors\n"
        "from learner import evaluate, get_strategy, STRATEGIES, uncertainty_scores, cold_start_order, EmbeddingHead\n"
        "heavy = [m for m in ('torch', 'transformers', 'modAL') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=LEARNER.parent)
    assert result.returncode == 0, result.stderr


def test_learner_never_imports_annotator_streamlit_or_sqlite():
    pattern = re.compile(r"^\s*(from|import)\s+(annotator|streamlit|sqlite3|sqlite_utils)\b", re.M)
    for path in LEARNER.glob("*.py"):
        assert not pattern.search(path.read_text()), path.name


def test_lazy_names_resolve():
    import learner

    assert callable(learner.get_strategy) and callable(learner.evaluate)
    assert set(learner.STRATEGIES) == {"least_confidence", "margin", "entropy", "diverse", "margin_kmeans", "random"}
    assert issubclass(learner.TrainingCancelled, learner.LearnerError)
