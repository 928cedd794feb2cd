"""Likeness in the checks: every sheet and keyframe of a character with a photo is measured against it.

Why it exists: a provider's check is an opinion (a vision model's, or the offline image similarity); the
face encoder (core.faces) measures whether the picture shows the same person as the reference photo, for
free, on this machine. So for every provider:

* the distance is stored with the attempt and the take (`payload["likeness"]`: per character, the
  distance or a note such as "no face found"), shown as a badge beside the check's score and in
  `status --json`;
* it is part of the check: an attempt scores no higher than its likeness does (dlib's same-person line,
  0.6, lands on the acceptance threshold 0.8), so a drifting face is retried with a fix that says so;
* before a *paid* check, a face clearly someone else's (distance over `CLEARLY_OTHER`) fails the attempt
  without the call, when the project's `likeness_gate` setting is on (the default). A free provider's
  check runs either way: it costs nothing and its issues help the retry.

When no face is found (a drawn fox, a back turned, a stylised face the detector misses), it says so and
does not score.
"""
from __future__ import annotations

from collections.abc import Callable

from core import faces
from core.models import CheckResult
from core.store import Project

GATE_SETTING = "likeness_gate"


def gate_on(project: Project) -> bool:
    """Whether a clearly different face skips the paid check (default: on)."""
    value = project.setting(GATE_SETTING)
    return True if value is None else bool(value)


def set_gate(project: Project, on: bool) -> None:
    project.set_setting(GATE_SETTING, bool(on))


def paid(provider) -> bool:
    """Whether the provider's check costs money (then a clearly different face is not worth asking about)."""
    try:
        return float(provider.estimate("check", {}, 2)) > 0
    except Exception:  # noqa: BLE001 - a provider that cannot say is treated as paid: the gate is the safe side
        return True


SMALLEST = {"sheet": 0.15, "keyframe": 0.1}  # the smallest face looked for, as a share of the picture's short side


def measure(picture: bytes, photos: dict[str, bytes], kind: str = "keyframe") -> dict[str, faces.Likeness]:
    """Each character's likeness in `picture` (a sheet or keyframe), for those with a reference photo."""
    if not photos or not faces.available():
        return {}
    try:
        return faces.likenesses(photos, picture, smallest=SMALLEST.get(kind, 0.08))
    except Exception as err:  # noqa: BLE001 - a measure that fails must not lose the picture already paid for
        note = f"the face could not be measured ({type(err).__name__})"
        return {name: faces.Likeness(None, note) for name in photos}


def checked(picture: bytes, photos: dict[str, bytes], *, kind: str, paid: bool, gate: bool,
            provider_check: Callable[[], tuple[CheckResult, float]]) -> tuple[CheckResult, float, dict]:
    """The attempt's check with likeness in it: (result, cost, likeness as stored on the take)."""
    measured = measure(picture, photos, kind)
    stored = {name: lk.as_dict() for name, lk in measured.items()}
    far = {name: lk.distance for name, lk in measured.items()
           if lk.distance is not None and lk.distance > faces.CLEARLY_OTHER}
    issues = [f"{name}'s face is not the reference photo's (likeness {d:.2f}, the same person is under "
              f"{faces.SAME_PERSON}); keep the face from the photo" for name, d in far.items()]
    if far and paid and gate:
        worst = max(far.values())
        return CheckResult(score=round(faces.score_of(worst), 4), issues=issues), 0.0, \
            {**stored, "_gate": "the paid check was skipped: the face is clearly someone else's"}
    result, cost = provider_check()
    scored = [lk.distance for lk in measured.values() if lk.distance is not None]
    if scored:
        worst = max(scored)
        if faces.score_of(worst) < result.score:
            drift = [f"{n}'s face drifts from the reference photo (likeness {lk.distance:.2f}); keep its likeness"
                     for n, lk in measured.items() if lk.distance is not None and lk.distance >= faces.SAME_PERSON]
            result = CheckResult(score=round(faces.score_of(worst), 4), issues=list(result.issues) + drift)
    return result, cost, stored


def _measured(payload: dict | None) -> dict[str, dict]:
    return {k: v for k, v in ((payload or {}).get("likeness") or {}).items() if not k.startswith("_")}


def worst(payload: dict | None) -> float | None:
    """The largest distance measured on a take (its least like character), None when none was measured."""
    scored = [v["distance"] for v in _measured(payload).values() if v.get("distance") is not None]
    return max(scored) if scored else None


def badge(payload: dict | None) -> str:
    """"likeness 0.39" (the least like of the characters), or what could not be measured; "" when the take
    was not measured at all."""
    d = worst(payload)
    if d is not None:
        return f"likeness {d:.2f}"
    return "; ".join(sorted({v.get("note") for v in _measured(payload).values() if v.get("note")}))
