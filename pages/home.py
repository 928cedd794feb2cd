"""Until the workbench pages land (Story, Design, Shooting, Generate), show what the CLI has made."""
import streamlit as st

from core.config import workspace

st.title("Dailies")
st.write("A local AI film workbench: a one-line concept becomes a short film whose characters look the same "
         "in every scene.")
st.info("The Story, Design, Shooting and Generate pages are on their way. Meanwhile, make a film from the "
        "command line: `python -m core make \"A curious fox meets a wise owl\" --project projects/fox`.")
root = workspace()
films = sorted(p for p in root.glob("*/project.db")) if root.exists() else []
st.subheader(f"Projects in {root}")
if not films:
    st.caption("No projects yet.")
for db in films:
    exports = sorted((db.parent / "exports").glob("*.mp4"))
    with st.expander(db.parent.name, expanded=bool(exports)):
        if exports:
            st.video(str(exports[-1]))
            st.caption(exports[-1].name)
        else:
            st.caption("No export yet.")
