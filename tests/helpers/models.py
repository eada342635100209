"""A model zip as a lead takes it away: unpacked, and loaded with transformers.pipeline."""

from __future__ import annotations

import zipfile
from pathlib import Path


def unzip(path: Path, into: Path) -> Path:
    """Extract a model zip (which must hold exactly one top folder); return that folder."""
    with zipfile.ZipFile(path) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
        assert len(tops) == 1, tops
        archive.extractall(into)
    return into / tops.pop()


def pipeline_of(folder: Path):
    from transformers import pipeline

    return pipeline("text-classification", model=str(folder), truncation=True, device="cpu")
