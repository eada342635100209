"""scripts/measure_map_page.py on a small pool: it serves the project, draws the Explore page's map and the
bare chart in Chromium and writes complete JSON (never how fast)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def test_measure_map_page_writes_complete_results(chromium, tmp_path):
    out = tmp_path / "map_page.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "measure_map_page.py"), "--pool", "300",
                           "--repeats", "1", "--points", "100,300", "--project", str(tmp_path / "map"),
                           "--json", str(out)], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["pool"] == 300 and len(result["explore_page"]) == 1
    (row,) = result["explore_page"]
    assert 0 < row["results_s"] <= row["map_s"]
    assert [p["points"] for p in result["points"]] == [100, 300]
    assert result["points"][0]["spec_bytes"] < result["points"][1]["spec_bytes"]
