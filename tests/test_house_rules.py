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


# -- import layers ---------------------------------------------------------------------------------------------------
# Lowest first; a module may import its own layer and those below it, never one above. The pipeline reaches a
# provider only through the registry (core.providers) and the protocol (core.providers.base).
LEAF = {"core.errors", "core.config", "core.models", "core.media", "core.faces"}  # faces: pictures in, distances out
LAYERS = {
    "core.store": LEAF | {"core.store"},
    "core.render": LEAF | {"core.store", "core.render"},
    "core.providers": LEAF | {"core.render", "core.providers"},
    # core.lab sits beside the pipeline: its operations are job kinds too.
    "core.pipeline": LEAF | {"core.store", "core.render", "core.pipeline", "core.providers", "core.providers.base",
                             "core.lab"},
}


def core_imports(path) -> set[str]:
    """The core modules a file imports, `from core import media` read as core.media."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "core":
            if node.module == "core":
                found |= {f"core.{a.name}" for a in node.names}
            elif node.module == "core.providers":
                found |= {"core.providers"} | {f"core.providers.{a.name}" for a in node.names
                                               if (ROOT / "core" / "providers" / f"{a.name}.py").exists()}
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "core"}
    return found


def allowed(module: str, allowed_set: set[str]) -> bool:
    return any(module == a or module.startswith(a + ".") for a in allowed_set)


def test_each_layer_imports_only_itself_and_the_layers_below():
    offenders = []
    for layer, ok in LAYERS.items():
        for path in (ROOT / layer.replace(".", "/")).rglob("*.py"):
            for module in core_imports(path):
                if layer == "core.pipeline" and module.startswith("core.providers."):
                    fine = module == "core.providers.base"
                else:
                    fine = allowed(module, ok)
                if not fine:
                    offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_opening_a_project_loads_nothing_above_the_store():
    import subprocess
    import sys

    code = ("import sys, core.store; above = [m for m in sys.modules if m.startswith('core.') and not "
            "m.startswith(('core.store', 'core.errors', 'core.config', 'core.models', 'core.media'))]; "
            "assert not above, above")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_pages_import_only_core_ui_and_streamlit():
    import ast
    import sys

    offenders = []
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            for name in names:
                top = name.split(".")[0]
                if top not in {"core", "ui", "streamlit", "streamlit_extras", "streamlit_image_coordinates"} \
                        and top not in sys.stdlib_module_names \
                        and top != "__future__":
                    offenders.append(f"{path.name} imports {name}")
    assert offenders == []
