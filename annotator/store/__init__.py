"""The project store: all SQL of Labelloop, and nothing else (rules live in annotator.services)."""
