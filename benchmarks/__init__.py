"""Benchmarks: label efficiency (curves), speed against plain transformers, load under many annotators.

One module per part: :mod:`~benchmarks.curves`, :mod:`~benchmarks.speed`,
:mod:`~benchmarks.load`, :mod:`~benchmarks.plots`; shared helpers in
:mod:`~benchmarks.common` and synthetic data in :mod:`~benchmarks.synthetic`.
Every part returns a JSON-ready dict; ``labelloop bench`` writes it and plots it.
"""
