"""What every step needs: the project, the provider, the job, and two helpers.

`call()` is the one door to a provider. It computes the call's key from
everything that determines the answer, returns the logged answer when the same
call already succeeded (so a re-run or a resumed job pays for nothing twice),
and otherwise checks for cancellation, makes the call, stores the output asset
and logs the call with its latency and cost.

`produce()` is the one way a step writes a slot: if the head (or another take
of the slot) was made from the same recipe it is reused, otherwise the step's
function runs and its result becomes a new take and the head (`Takes.write`,
one transaction). Story edits and their parts move many heads in one undo
group and go through `core.pipeline.edits`; uploads and lab results are new
takes of their own kind and use `Takes.write` directly.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.errors import BudgetExceeded, Cancelled, DailiesError, NotFound
from core.models import CheckResult, LabelMapping, Media, PlanDraft
from core.providers.base import Ticket
from core.store import Project, Take
from core.store.calls import recipe_hash

# A plan is replayed as the draft it was (a StoryPlan logged before drafts existed reads as one too).
RESULT_TYPES = {"plan_story": PlanDraft, "refine_plan": PlanDraft, "map_labels": LabelMapping, "check": CheckResult}
SCORE_THRESHOLD = 0.80
MAX_ATTEMPTS = 3
MAX_CLIP_ATTEMPTS = 3        # the first try plus at most 2 corrections


class JobHandle:
    """Progress and cancellation as seen by a step. The job runner subclasses it with durable rows."""

    id: int | None = None

    def __init__(self):
        self._lock = threading.Lock()
        self.total = 1
        self.done = 0
        self.message = ""

    def plan_units(self, total: int) -> None:
        with self._lock:
            self.total = max(1, total)

    def step_done(self, message: str, units: int = 1) -> None:
        with self._lock:
            self.done = min(self.total, self.done + units)
            frac = self.done / self.total
        self.report(frac, message)

    def say(self, message: str) -> None:
        with self._lock:
            frac = self.done / self.total
        self.report(frac, message)

    def report(self, fraction: float, message: str) -> None:
        self.message = message

    def cancel_requested(self) -> bool:
        return False


@dataclass
class StepResult:
    payload: Any = None
    asset: str | None = None
    score: float | None = None
    cost_usd: float = 0.0
    model: str | None = None
    note: str | None = None


@dataclass
class Accepted:
    """The outcome of a make-and-check loop: the best attempt and the record of all of them."""

    asset: str
    score: float
    issues: list[str]
    cost_usd: float
    history: list[dict]
    prompt: str


@dataclass
class Context:
    project: Project
    provider: Any
    job: JobHandle = field(default_factory=JobHandle)
    branch: str | None = None
    # Re-use before paying (core.pipeline.reuse): "ask", "auto" or "never"; `ask_reuse(offer)` answers an offer
    # where someone can be asked at once (the CLI at a terminal); without it, `ask` stops the run at a gate.
    reuse_policy: str = "never"
    ask_reuse: Callable[[Any], bool] | None = None
    # Where else an offer may come from: the paths of the workspace's other projects, asked for the first time a
    # step looks (a run that makes no picture never lists the workspace), and their index read once per run.
    offer_sources: Callable[[], list] | None = None
    _offers: Any = field(default=None, init=False, repr=False)
    _offers_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self):
        self.branch = self.branch or self.project.branch

    @property
    def job_id(self) -> int | None:
        return self.job.id

    def check_cancel(self) -> None:
        if self.job.cancel_requested():
            raise Cancelled()

    # -- provider calls ------------------------------------------------------------------------
    def call(self, operation: str, *, slot: str, model_role: str, prompt: str, params: dict, inputs: list[str],
             fn: Callable[..., Any], deferred: bool = False) -> tuple[Any, float]:
        """Run `fn` (a provider operation) unless this exact call already succeeded; returns (result, cost).

        `deferred`: the operation is a request the provider keeps working on (a video render); `fn` is then
        given a Ticket, which stores the request's id as soon as it is started and hands back the id of one
        an earlier, killed process started for this exact call, so that request is waited for, not bought again.
        """
        model = self.provider.models.get(model_role)
        key = recipe_hash({"provider": self.provider.name, "op": operation, "model": model, "prompt": prompt,
                           "params": params, "inputs": inputs})
        cached = self.project.calls.cached(key)
        replayed = self._replay(operation, cached) if cached is not None else None
        if replayed is not None:
            return replayed, 0.0
        self.check_cancel()

        def budget() -> None:
            self._check_budget(operation, params, len(inputs))
        args = []
        if deferred:
            calls = self.project.calls
            pending = calls.pending(key)
            args.append(Ticket(pending, ended=lambda: calls.ended(key),
                               started=lambda rid: calls.started(key, provider=self.provider.name, request_id=rid,
                                                                 job=self.job_id, slot=slot),
                               before_start=budget if pending else lambda: None))
        if not (args and args[0].request_id):  # a resumed request is already paid for
            budget()
        t0 = time.monotonic()
        try:
            out = fn(*args)
        except DailiesError as err:  # an answer that was paid for and could not be used keeps its cost
            self.project.calls.log(key=key, provider=self.provider.name, operation=operation, model=model,
                                   prompt=prompt, params=params, inputs=inputs, outcome="error",
                                   latency_s=time.monotonic() - t0, error=str(err), job=self.job_id, slot=slot,
                                   cost_usd=getattr(err, "cost_usd", 0.0))
            raise
        latency = time.monotonic() - t0
        if isinstance(out, Media):
            asset = self.project.assets.put(out.data, out.ext)
            self.project.calls.log(key=key, provider=self.provider.name, operation=operation, model=model,
                                   prompt=prompt, params=params, inputs=inputs, outcome="ok", latency_s=latency,
                                   cost_usd=out.cost_usd, output_asset=asset, result={"ext": out.ext},
                                   job=self.job_id, slot=slot)
            if deferred:
                self.project.calls.ended(key)
            return asset, out.cost_usd
        result, cost = out
        self.project.calls.log(key=key, provider=self.provider.name, operation=operation, model=model, prompt=prompt,
                               params=params, inputs=inputs, outcome="ok", latency_s=latency, cost_usd=cost,
                               result=result.model_dump(), job=self.job_id, slot=slot)
        if deferred:
            self.project.calls.ended(key)
        return result, cost

    def _check_budget(self, operation: str, params: dict, n_inputs: int) -> None:
        cap = self.project.setting("budget_usd")
        if not cap:
            return
        estimate = self.provider.estimate(operation, params, n_inputs)
        spent = self.project.calls.totals()["cost_usd"]
        if spent + estimate > cap:
            raise BudgetExceeded(f"Budget cap ${cap:.2f} reached: ${spent:.2f} spent and this {operation} would cost "
                                 f"about ${estimate:.2f}. Raise the cap in Settings to continue.")

    def _replay(self, operation: str, row: dict) -> Any:
        """The logged answer of a finished call, or None if the row cannot give it back (its output file is
        gone, or it came in a bundle without one): then the call is simply made again."""
        if row["output_asset"]:
            try:
                return row["output_asset"] if self.project.assets.path(row["output_asset"]).exists() else None
            except NotFound:
                return None
        if operation not in RESULT_TYPES or not row["result"]:
            return None
        try:
            return RESULT_TYPES[operation].model_validate(json.loads(row["result"]))
        except ValueError:  # pydantic's ValidationError and json's decode error are both ValueErrors
            return None

    def until_accepted(self, *, what: str, max_attempts: int, default_fix: str,
                       make: Callable[[int, list[str] | None], tuple[str, float, str]],
                       check: Callable[[str, str], tuple[CheckResult, float]],
                       fix: list[str] | None = None) -> Accepted:
        """Make and check up to `max_attempts` times; each retry carries the check's issues as a fix.

        `make(attempt, fix)` returns (asset, cost, prompt); `check(asset, prompt)` returns (result, cost).
        Stops at the first attempt scoring SCORE_THRESHOLD or more; the best attempt wins otherwise. `fix`: the
        problems the first attempt already addresses (a person's Fix of a take that failed its check).
        """
        best: tuple[str, float, list[str]] | None = None
        total, history, prompt = 0.0, [], ""
        for attempt in range(1, max_attempts + 1):
            asset, cost, prompt = make(attempt, fix)
            result, check_cost = check(asset, prompt)
            total += cost + check_cost
            history.append({"attempt": attempt, "asset": asset, "score": result.score, "issues": result.issues})
            if best is None or result.score > best[1]:
                best = (asset, result.score, result.issues)
            if result.score >= SCORE_THRESHOLD:
                break
            fix = result.issues or [default_fix]
            self.job.say(f"{what}: attempt {attempt} scored {result.score:.2f}, retrying with a fix")
        return Accepted(best[0], best[1], best[2], total, history, prompt)

    # -- takes ---------------------------------------------------------------------------------
    def produce(self, slot: str, *, recipe_of: dict, inputs: dict[str, int], make: Callable[[int], StepResult],
                regenerate: bool = False, origin: str = "generated",
                reuse: tuple[str, str, str] | None = None) -> Take:
        """Reuse the take made from this recipe, or make a new one; either way it becomes the head.

        `reuse` = (kind, words, key) of a sheet, keyframe or clip: before making it, a close take elsewhere is
        offered as `reuse_policy` says, and what is made is indexed for later offers."""
        takes, tags = self.project.takes, self.project.tags
        recipe = recipe_hash(recipe_of)
        if not regenerate:
            head = takes.head(slot, self.branch)
            if head is not None and tags.has(head.id, "keep"):
                return head  # kept by the person: an automatic step leaves it, stale or not
            hated = head is not None and tags.has(head.id, "hate")
            if head is not None and not hated and self._satisfies(head, recipe):
                return self._repoint(head, inputs)
            existing = takes.with_recipe(slot, recipe)
            if existing is not None and not tags.has(existing.id, "hate"):
                existing = self._repoint(existing, inputs)
                takes.set_heads({slot: existing.id}, branch=self.branch, job=self.job_id)
                return existing
            # A hated result is not made again from the cached call either: a new variant asks anew.
            variant = takes.next_variant(slot, recipe) if existing is not None or hated else 0
        else:
            variant = takes.next_variant(slot, recipe)
        vector = None
        if reuse is not None:
            from core.pipeline import reuse as offers

            vector = offers.embed([reuse[1]])[0]  # once: for the offer now and the index after
            if not regenerate:
                taken = self._reuse(slot, reuse, vector, recipe, variant, inputs)
                if taken is not None:
                    return taken
        result = make(variant)
        head = takes.head(slot, self.branch)
        take = takes.write(slot, branch=self.branch, payload=result.payload, asset=result.asset, inputs=inputs,
                           origin=origin, provider=self.provider.name, model=result.model, recipe=recipe,
                           variant=variant, score=result.score, cost_usd=result.cost_usd, job=self.job_id,
                           parent=head.id if head else None, note=result.note)
        if vector is not None and take.asset:
            offers.index(self.project, take, reuse[0], reuse[2], vector)
        return take

    def _reuse(self, slot: str, reuse: tuple[str, str, str], vector, recipe: str, variant: int,
               inputs: dict[str, int]) -> Take | None:
        """A take from elsewhere instead of a new one, when one is close and the person takes it."""
        from core.pipeline import gates
        from core.pipeline import reuse as offers

        if self.reuse_policy == "never" or self.offer_sources is None:
            return None
        with self._offers_lock:
            if self._offers is None:
                here = self.project.path
                self._offers = offers.candidates([p for p in self.offer_sources() if p.resolve() != here])
        kind, _words, key = reuse
        offer = self._offers.best(slot, kind, key, vector)
        if offer is None:
            return None
        said = offer.describe()
        if self.reuse_policy == "auto":
            accept = True
        else:
            accept = offers.decision(self.project, offer)
            if accept is None and self.ask_reuse is not None:
                accept = bool(self.ask_reuse(offer))
            elif accept is None:
                offers.remember_pending(self.project, offer)
                raise gates.GateReached(gates.REUSE)
        if not accept:
            self.job.say(f"Not taken: {said}")
            return None
        self.job.say(said[0].upper() + said[1:])
        return offers.adopt(self.project, offer, branch=self.branch, recipe=recipe, variant=variant, inputs=inputs,
                            job=self.job_id, provider=self.provider.name, model=None)

    def _repoint(self, take: Take, inputs: dict[str, int]) -> Take:
        """Same result, different input takes (e.g. an edit elsewhere in the story): record a take that points
        at the current inputs, so it is not reported stale, without calling the provider again."""
        if take.inputs == inputs:
            return take
        return self.project.takes.write(
            take.slot, branch=self.branch, payload=take.payload, asset=take.asset, inputs=inputs, origin="restored",
            provider=take.provider, model=take.model, recipe=take.recipe, variant=take.variant, score=take.score,
            job=self.job_id, parent=take.id, note="unchanged result carried over to new inputs")

    def _satisfies(self, head: Take, recipe: str) -> bool:
        """The head was made from this recipe, or is a hand edit of a take that was."""
        take: Take | None = head
        while take is not None:
            if take.recipe == recipe:
                return True
            if take.origin != "edited" or take.parent is None:
                return False
            take = self.project.takes.get(take.parent)
        return False
