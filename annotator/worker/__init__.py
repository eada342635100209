"""The background worker: embeds and scores the pool, refreshes the ranking, fine-tunes.

Torch is imported only by the modules that train or embed (``models``,
``refresh``, ``finetune``, ``loop``); ``lock`` and ``embeddings`` are
numpy/stdlib only so the UI process may use them.
"""
