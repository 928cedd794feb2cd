"""Dailies core: everything the app, the CLI and the tests share. Never imports streamlit."""

__version__ = "0.1.0"
