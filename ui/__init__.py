"""Shared Streamlit widgets for the pages: session state, sidebar, job progress, take strips.

Everything here is presentation; decisions and storage are in `core`.
"""
