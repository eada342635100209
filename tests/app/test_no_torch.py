"""The lead pages never import torch: every page renders in a fresh interpreter without it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from annotator.app import navigation
from annotator.store.users import get_user


def test_lead_pages_and_review_run_without_torch(team_project, tmp_path):
    import numpy as np

    from annotator.services.training.embeddings import save_embeddings

    ids = team_project.ids
    save_embeddings(team_project.path, 0, ids, np.random.default_rng(0).normal(size=(len(ids), 8)))
    pages = [str(navigation.page_path(spec)) for spec in navigation.LEAD_PAGES]
    stamp = get_user(team_project.db, "lead")["credential_stamp"]
    script = textwrap.dedent(
        f"""
        import json, os, sys
        os.environ["LABELLOOP_PROJECT"] = {str(team_project.path)!r}
        from streamlit.testing.v1 import AppTest
        errors = []
        for path in {pages!r}:
            at = AppTest.from_file(path, default_timeout=120)
            at.session_state["ll_user"] = "lead"
            at.session_state["ll_user_stamp"] = {stamp!r}
            at.run()
            errors += [str(e.value) for e in at.exception] + [e.value for e in at.error]
        print(json.dumps({{"torch": "torch" in sys.modules, "errors": errors}}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"torch": False, "errors": []}
