"""Checks a person can read and overrule: a take under the bar blocks approving its stage until it is accepted
anyway (an override, recorded) or fixed (one more attempt, told the problems the check named)."""
from __future__ import annotations

import pytest

from core import jobs
from core.errors import InputError
from core.pipeline import gates
from core.pipeline.status import status
from core.store import Project
from tests.conftest import xai_film


@pytest.fixture
def waiting_at_sheets(fake, tmp_path, faces):
    project = Project.open(tmp_path / "film")
    gates.set_review_mode(project, True)
    project.close()
    project, job = xai_film(tmp_path, faces, scenes=1)
    fake.check_scores = [(0.4, ["the chin is wrong"])] * 6  # both sheets: three attempts each, all under the bar
    jobs.approve(project, background=False)
    assert jobs.get(project, job["id"])["waiting"] == "sheets"
    return project, job["id"]


def low_sheets(project):
    return [t for t in (project.takes.head("sheet/Ada"), project.takes.head("sheet/Bo")) if t.score < 0.8]


def test_a_take_under_the_bar_blocks_approval_until_accepted_anyway(waiting_at_sheets):
    project, job = waiting_at_sheets
    low = low_sheets(project)
    assert len(low) == 2
    with pytest.raises(InputError, match=r"sheet/Ada \(score 0.40\), sheet/Bo \(score 0.40\) failed their check"):
        jobs.approve(project, background=False)
    project.tags.accept(low[0].id, score=low[0].score, source="cli")
    with pytest.raises(InputError, match=r"sheet/Bo \(score 0.40\) failed its check"):
        jobs.approve(project, background=False)
    project.tags.accept(low[1].id, score=low[1].score, source="app")
    st = status(project)
    assert next(s for s in st["slots"] if s["slot"] == "sheet/Ada")["override"]["score"] == pytest.approx(0.4)
    assert st["overrides"][str(low[1].id)]["source"] == "app"
    jobs.approve(project, background=False)
    assert jobs.get(project, job)["waiting"] == "keyframes"


def test_fix_makes_one_more_attempt_told_what_the_check_found(waiting_at_sheets, fake):
    project, _ = waiting_at_sheets
    low = low_sheets(project)[0]
    n = fake.count("image")
    fixed = jobs.get(project, jobs.submit(project, "fix", {"slot": low.slot}, provider="xai", background=False))
    assert fixed["status"] == "succeeded", fixed["message"]
    sent = [r for r in fake.requests if r.kind == "image"][n:]
    assert len(sent) == 1 and "the chin is wrong" in sent[0].prompt   # one attempt, with the fix in its prompt
    new = project.takes.head(low.slot)
    assert new.id != low.id and new.score >= 0.8
    assert gates.below_bar(project, "sheets") == [f"{low_sheets(project)[0].slot} (score 0.40)"]  # the other one
