"""The learning loop's work: embed the pool, refresh the head, fine-tune, publish, recover.

The modules that embed or train (``models``, ``refresh``, ``finetune``,
``export_eval``, ``train``, ``jobs``) import torch; ``lock``, ``embeddings``,
``triggers`` and ``scoring`` are numpy/stdlib only, so the labeling app may
use them.
"""
