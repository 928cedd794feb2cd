"""Dailies — the Streamlit entry point: page config, navigation and the shared sidebar; nothing else."""
import streamlit as st

from ui import sidebar

st.set_page_config(page_title="Dailies", page_icon=":material/movie:", layout="wide")

pages = {
    "Make the film": [
        st.Page("pages/story.py", title="Story", icon=":material/edit_note:", default=True),
        st.Page("pages/design.py", title="Design", icon=":material/palette:"),
        st.Page("pages/shooting.py", title="Shooting", icon=":material/videocam:"),
        st.Page("pages/generate.py", title="Generate", icon=":material/movie:"),
    ],
    "Project": [
        st.Page("pages/history.py", title="History", icon=":material/history:"),
        st.Page("pages/library.py", title="Library", icon=":material/photo_library:"),
        st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
    ],
}
page = st.navigation(pages)
sidebar.render()
page.run()
