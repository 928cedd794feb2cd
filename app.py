"""Dailies — the Streamlit entry point: page config and navigation, nothing else."""
import streamlit as st

st.set_page_config(page_title="Dailies", page_icon="🎬", layout="wide")

pages = [st.Page("pages/home.py", title="Dailies", icon="🎬", default=True)]
st.navigation(pages).run()
