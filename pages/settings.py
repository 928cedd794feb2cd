"""Settings: provider, model names, budget cap. The API key is read, never shown or stored."""
import streamlit as st

from core.errors import DailiesError
from core import faces
from core.pipeline import gates, likeness
from core.providers import api_key, get_provider, names, xai_catalog
from ui import jobs, widgets

st.title("Settings")
project = widgets.need_project()
has_key = bool(api_key("XAI_API_KEY"))

st.subheader("Provider")
available = [n for n in names() if n == "offline" or (n == "xai" and has_key)]
current = jobs.provider_of(project)
choice = st.radio("Who makes the pictures and clips", available,
                  index=available.index(current) if current in available else 0, horizontal=True,
                  disabled=jobs.busy(project),
                  format_func={"offline": "offline (free, no network)", "xai": "xai (Grok, paid)"}.get)
if choice != current:
    project.set_setting("provider", choice)
    st.rerun()
if has_key:
    st.success("XAI_API_KEY is set (from the environment or Streamlit secrets). It is never shown or saved.")
    if st.button("Check the key and the models", help="Free calls to the xAI API: the key, and the models it lists"):
        try:
            get_provider("xai", models=project.setting("models/xai") or None).preflight()
            st.success("The xAI API accepted the key, and every configured model is available to it.")
        except DailiesError as err:
            st.error(str(err))
else:
    st.info("To use Grok, set XAI_API_KEY in the environment or in .streamlit/secrets.toml and restart the app. "
            "Until then the offline provider does everything, free.")

st.subheader("Models")
try:
    defaults = jobs.provider_instance(choice).models  # cached: building xai opens a gRPC channel
except DailiesError as err:
    st.error(str(err))
    defaults = {}
overrides = project.setting(f"models/{choice}", {}) or {}
with st.form("models"):
    values = {role: st.text_input(role, value=overrides.get(role, model), disabled=choice == "offline",
                                  help=xai_catalog.ROLE_HELP.get(role))
              for role, model in defaults.items()}
    if st.form_submit_button("Save models", disabled=choice == "offline"):
        retired = [m for role, v in values.items() if (m := xai_catalog.retired_message(role, v.strip()))]
        if retired:
            st.error(retired[0])
        else:
            project.set_setting(f"models/{choice}", {k: v.strip() for k, v in values.items() if v.strip()})
            st.toast("Models saved")
if choice == "offline":
    st.caption("The offline provider has fixed built-in models.")
else:
    st.caption(f"Every run first asks xAI which models this key can use and stops, before paying, at one it "
               f"cannot. Price estimates as of {xai_catalog.PRICES_AS_OF} ({xai_catalog.PRICES_SOURCE}); the cost "
               "each response reports is what the call log records.")

st.subheader("Review")
review = st.toggle("Stop for my approval after the plan, the sheets, the keyframes and the clips",
                   value=gates.review_mode(project), disabled=jobs.busy(project),
                   help="Off: Run all makes everything in one go and counts each stage as approved")
if review != gates.review_mode(project):
    gates.set_review_mode(project, review)
    st.rerun()

st.subheader("Re-use before paying")
REUSE_LABELS = {"ask": "ask me each time", "auto": "re-use every close match", "never": "always make new ones"}
current = project.setting("reuse") or "ask"
picked = st.radio("When a sheet, keyframe or clip about to be made is close to one another project of the workspace "
                  "has", list(REUSE_LABELS), index=list(REUSE_LABELS).index(current),
                  format_func=REUSE_LABELS.get, key="reuse-policy", horizontal=True, disabled=jobs.busy(project),
                  help="Close: the same pictures go in, and the words are at least 0.85 alike. A re-used take is "
                       "the same file, costs nothing, and says where it came from")
if picked != current:
    project.set_setting("reuse", picked)
    st.rerun()

st.subheader("Likeness")
gate = st.toggle("Skip the paid check when a face is clearly someone else's, and retry at once",
                 value=likeness.gate_on(project), key="likeness-gate", disabled=jobs.busy(project),
                 help=f"Every sheet and keyframe of a character with a photo is measured against it on this machine "
                      f"(a face-identity distance: under {faces.SAME_PERSON} is the same person). Over "
                      f"{faces.CLEARLY_OTHER} the attempt fails for free instead of asking the paid vision check")
if gate != likeness.gate_on(project):
    likeness.set_gate(project, gate)
    st.rerun()

st.subheader("Budget")
cap = project.setting("budget_usd")
spent = project.calls.totals()["cost_usd"]
new_cap = st.number_input("Budget cap for this project (USD, 0 = no cap)", min_value=0.0, step=1.0,
                          value=float(cap or 0.0))
if new_cap != float(cap or 0.0):
    project.set_setting("budget_usd", new_cap or None)
    st.rerun()
st.caption(f"Spent so far: ${spent:.2f}. A call that would pass the cap is refused before it is made.")
