"""Import a file uploaded through the browser exactly as ``labelloop import`` would.

The bytes are written to a temporary file that keeps the upload's own name
(so its extension picks the format and ``examples.source`` names the file the
lead chose), then :func:`annotator.importer.import_file` validates and imports
it in one transaction.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from annotator.errors import InputError
from annotator.importer import ImportSummary, import_file
from annotator.store.project import Project

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str) -> str:
    """The base name of an uploaded file with anything unusual replaced (never a path)."""
    base = Path(str(name).replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).lstrip(".")
    return cleaned or "upload"


def import_upload(project: Project, filename: str, data: bytes, **options: Any) -> ImportSummary:
    """Import uploaded ``data`` named ``filename``; ``options`` as for ``import_file``."""
    if not data:
        raise InputError(f"{filename}: the uploaded file is empty")
    with tempfile.TemporaryDirectory(prefix="labelloop_upload_") as folder:
        path = Path(folder) / safe_filename(filename)
        path.write_bytes(data)
        summary = import_file(project, path, **options)
    summary.path = str(filename)
    return summary
