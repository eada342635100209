"""The Streamlit labeling app: ``main.py`` is the one entrypoint; pages hold UI only."""
