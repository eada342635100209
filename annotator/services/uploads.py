"""Import a file uploaded through the browser exactly as ``labelloop import`` would.

The bytes are written to a temporary file named after the upload, cleaned and
shortened (:func:`safe_filename`: its extension picks the format and
``examples.source`` names the file the lead chose), then
:func:`annotator.services.imports.import_file` validates and imports it in one
transaction, under the same limits (the project's ``max_text_chars`` among
them). Messages name the file as the lead named it, shortened to one line;
the temporary path on the server never appears in them.
"""

from __future__ import annotations

import copy
import re
import tempfile
from pathlib import Path
from typing import Any

from annotator.errors import InputError, LabelloopError, one_line
from annotator.io.limits import megabytes
from annotator.services.imports import ImportSummary, import_file, import_limits
from annotator.store.project import Project

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_FILE_CHARS = 100  # of the temporary file's name (file systems allow 255 bytes)
_SHOWN_CHARS = 120  # of the name in messages


def safe_filename(name: str) -> str:
    """The base name of an uploaded file with anything unusual replaced and at most 100 characters (never a path)."""
    base = Path(str(name).replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).lstrip(".")
    if len(cleaned) > _FILE_CHARS:
        suffix = Path(cleaned).suffix[:16]
        cleaned = cleaned[: _FILE_CHARS - len(suffix)] + suffix
    return cleaned or "upload"


def shown_name(name: str) -> str:
    """The upload's name as messages show it: one line, at most about 120 characters."""
    text = one_line(str(name))
    return text if len(text) <= _SHOWN_CHARS else f"{text[:_SHOWN_CHARS]}..."


def import_upload(project: Project, filename: str, data: bytes, **options: Any) -> ImportSummary:
    """Import uploaded ``data`` named ``filename``; ``options`` as for ``import_file``."""
    shown = shown_name(filename)
    if not data:
        raise InputError(f"{shown}: the uploaded file is empty")
    limits = options.pop("limits", None) or import_limits(project)
    if len(data) > limits.max_file_bytes:
        raise InputError(
            f"{shown}: the file holds {megabytes(len(data))}, more than an import takes "
            f"({megabytes(limits.max_file_bytes)}); split it into smaller files"
        )
    with tempfile.TemporaryDirectory(prefix="labelloop_upload_") as folder:
        path = Path(folder) / safe_filename(filename)
        try:
            path.write_bytes(data)
        except OSError as error:
            raise InputError(f"{shown}: cannot keep the upload on the server ({error.strerror})") from None
        try:
            summary = import_file(project, path, name=shown, limits=limits, **options)
        except LabelloopError as error:
            message = str(error)
            if folder not in message:
                raise
            # a message from deeper down that quotes the temporary path: show the upload's name instead
            scrubbed = copy.copy(error)
            scrubbed.args = (message.replace(str(path), shown).replace(folder, "(upload)"),)
            raise scrubbed from None
    summary.path = shown
    return summary
