"""The use cases: every rule of Labelloop lives here, once.

Front-ends (the Streamlit pages in ``annotator.app``, the commands in
``annotator.cli``, the worker loop in ``annotator.worker``) call these modules
only; these call the store (``annotator.store``, the only SQL), the file
formats (``annotator.io``) and the machine learning (``learner``). The
import-linter contracts in ``pyproject.toml`` keep it so.
"""
