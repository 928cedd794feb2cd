"""The library: every take found by its words, filtered by kind, tag, branch, use and cost; from the CLI and the page."""
from __future__ import annotations

import json
import shutil

from streamlit.testing.v1 import AppTest

from core import library
from core.cli import main
from core.store import Project
from tests.conftest import ROOT


def test_a_word_from_one_keyframes_prompt_finds_it(film_copy):
    project = Project.open(film_copy)
    keyframe = project.takes.head("keyframe/2")
    words = [w for w in keyframe.payload["prompt"].split() if w.isalpha() and len(w) > 5]
    # a word only this keyframe's prompt has (the scene's own action or setting)
    others = [project.takes.head(f"keyframe/{n}").payload["prompt"].lower() for n in (1, 3)]
    word = next(w for w in words if all(w.lower() not in o for o in others))
    found = library.items(project, query=word, kind="keyframe")
    assert [i.take for i in found] == [keyframe.id]
    assert found[0].width == 1280 and found[0].branches == ["main"] and found[0].model
    assert word.lower() in found[0].text.lower()
    # a prefix finds it too, punctuation is not syntax, and nothing matches nonsense
    assert keyframe.id in [i.take for i in library.items(project, query=word[:4] + '" OR (')]
    assert library.items(project, query="zqxjv") == []


def test_filters_by_kind_tag_branch_use_and_cost(film_copy):
    project = Project.open(film_copy)
    lines = library.items(project, kind="line")
    assert lines and all(i.slot.startswith("line/") for i in lines)  # not the lines/<id> parts
    sheet = project.takes.head("sheet/Ada")
    project.tags.add(sheet.id, "love")
    assert [i.take for i in library.items(project, tag="love")] == [sheet.id]
    assert "love" in library.items(project, query="love")[0].tags  # a tag is a word of the search too
    project.tags.remove(sheet.id, "love")
    assert library.items(project, tag="love") == [] and library.items(project, query="love", kind="sheet") == []
    # a take that is no head anywhere is unused; a fork's heads count as use by that branch
    project.takes.fork("trial")
    used = {i.take for i in library.items(project, branch="trial")}
    assert used == set(project.takes.head_ids("trial").values())
    unused = library.items(project, unused=True)
    assert all(not i.branches for i in unused)
    assert not used & {i.take for i in unused}
    assert library.items(project, over=0.0) == []  # the offline film cost nothing
    by_size = library.items(project, sort="size", limit=3)
    assert [i.bytes for i in by_size] == sorted([i.bytes for i in by_size], reverse=True)


def test_the_cli_lists_and_searches_one_project_or_the_workspace(film_copy, tmp_path, capsys):
    other = film_copy.parent / "other"
    shutil.copytree(film_copy, other)
    Project.open(other).set_setting("name", "Other film")
    assert main(["library", "Ada", "--project", str(film_copy), "--kind", "sheet", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [i["slot"] for i in found] == ["sheet/Ada"] and found[0]["project_path"] == str(film_copy)
    assert main(["library", "Ada", "--project", str(film_copy), "--kind", "sheet", "--all-projects"]) == 0
    out = capsys.readouterr()
    assert len(out.out.strip().splitlines()) == 2 and "Other film: #" in out.out
    assert "2 takes matching 'Ada'" in out.err
    assert main(["library", "--project", str(film_copy), "--branch", "nope"]) == 2
    assert "has branches main" in capsys.readouterr().err


def test_a_tag_set_before_the_library_existed_is_found(tmp_path):
    """Projects made before the search index: the migration indexes what is there, tags included."""
    import sqlite3

    from core.store.migrations import migrations

    path = tmp_path / "old"
    project = Project.open(path)
    take = project.takes.add("keyframe/1", payload={"prompt": "a lighthouse in a gale"}, origin="generated")
    project.tags.add(take.id, "keep")
    project.close()
    with sqlite3.connect(path / "project.db") as db:  # as an older Dailies left it
        db.execute("DROP TABLE take_text")
        for trigger in ("take_text_insert", "take_text_update", "take_text_delete", "take_tags_insert",
                        "take_tags_delete"):
            db.execute(f"DROP TRIGGER {trigger}")
        db.execute("DELETE FROM _sqlite_migrations WHERE migration_set = ? AND name = 'm008_take_text'",
                   [migrations.name])
    project = Project.open(path)
    assert [i.take for i in library.items(project, query="lighthouse keep")] == [take.id]


def test_the_library_page_searches_and_opens_a_take(workspace, finished_film):
    path = workspace / "harbour"
    shutil.copytree(finished_film, path)
    project = Project.open(path)
    keyframe = project.takes.head("keyframe/3")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["project"] = "harbour"
    at.switch_page("pages/library.py").run()
    assert not at.exception
    at.text_input(key="library-query").set_value(keyframe.payload["prompt"].split(".")[1]).run()
    at.selectbox(key="library-kind").set_value("keyframe").run()
    opens = [b for b in at.button if b.label == "Open"]
    assert len(opens) == 1, [c.value for c in at.caption]
    opens[0].click().run()
    assert not at.exception and not at.error
    assert at.selectbox(key="history-slot").value == "keyframe/3"
    assert at.selectbox(key="restore-keyframe/3").value == keyframe.id
