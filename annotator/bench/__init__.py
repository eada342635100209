"""Benchmarks: label efficiency (curves), speed against plain transformers, load under many annotators.

One module per part: :mod:`~annotator.bench.curves`, :mod:`~annotator.bench.speed`,
:mod:`~annotator.bench.load`, :mod:`~annotator.bench.plots`; shared helpers in
:mod:`~annotator.bench.common` and synthetic data in :mod:`~annotator.bench.synthetic`.
Every part returns a JSON-ready dict; ``labelloop bench`` writes it and plots it.
"""
