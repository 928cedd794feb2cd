"""The codebase held to its own rules: core never imports streamlit; pages do no storage, media or provider work;
every CLI command is documented in the README; the app's entry page renders."""
from __future__ import annotations

import re

from core.cli import COMMANDS
from tests.conftest import ROOT

PAGE_FORBIDDEN = re.compile(r"^\s*(import (sqlite3|sqlite_utils|ffmpeg|xai_sdk|av)\b|from (sqlite_utils|xai_sdk|PIL)\b)",
                            re.M)


def test_core_never_imports_streamlit():
    offenders = [p for p in (ROOT / "core").rglob("*.py")
                 if re.search(r"^\s*(import streamlit|from streamlit)", p.read_text(), re.M)]
    assert offenders == []


def test_pages_leave_storage_media_and_providers_to_core():
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py")]
    assert [p.name for p in files if PAGE_FORBIDDEN.search(p.read_text())] == []


def test_every_cli_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert [c for c in COMMANDS if f"`{c} " not in readme and f"`{c}`" not in readme] == []


def test_the_app_renders_without_a_project(workspace):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert any("Dailies" in t.value for t in at.title)


def test_the_app_lists_a_finished_film(workspace, finished_film):
    import shutil

    from streamlit.testing.v1 import AppTest

    shutil.copytree(finished_film, workspace / "harbour")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert [e.label for e in at.expander] == ["harbour"]
