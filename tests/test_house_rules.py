"""The codebase held to its own rules: core never imports streamlit; pages do no storage, media or provider work;
every CLI command is documented in the README."""
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
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
    assert [p.name for p in files if PAGE_FORBIDDEN.search(p.read_text())] == []


def test_every_cli_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert [c for c in COMMANDS if f"`{c} " not in readme and f"`{c}`" not in readme] == []
