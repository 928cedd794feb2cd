"""The provider call log, and recipe hashes that make unchanged work free.

Every provider call is one row: operation, model, prompt, parameters, input
asset hashes, outcome, latency and cost. Its `key` is a hash over everything
that determines the answer; a later call with the same key and a successful row
reuses that row's stored output instead of paying again. That is what makes a
re-run or a resumed job repeat no finished call, even one made by a job that
was killed before it could record its take.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from core.store.assets import now

RECIPE_VERSION = "r1"


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def recipe_hash(obj: Any) -> str:
    """A hash over the canonical JSON of `obj`, prefixed with the recipe scheme so it can change later."""
    return f"{RECIPE_VERSION}:{hashlib.sha256(canonical(obj).encode()).hexdigest()[:32]}"


class CallLog:
    def __init__(self, conns):
        self._conns = conns

    def cached(self, key: str) -> dict | None:
        rows = list(self._conns.get().query(
            "SELECT * FROM calls WHERE key = ? AND outcome = 'ok' ORDER BY id DESC LIMIT 1", [key]))
        return rows[0] if rows else None

    def log(self, *, key: str, provider: str, operation: str, model: str | None, prompt: str | None,
            params: dict, inputs: list[str], outcome: str, latency_s: float, cost_usd: float = 0.0,
            error: str | None = None, output_asset: str | None = None, result: Any = None,
            job: int | None = None, slot: str | None = None) -> int:
        cur = self._conns.get().execute(
            "INSERT INTO calls (job, slot, provider, operation, model, prompt, params, inputs, key, outcome, error,"
            " output_asset, result, latency_s, cost_usd, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [job, slot, provider, operation, model, prompt, canonical(params), canonical(inputs), key, outcome,
             error, output_asset, canonical(result) if result is not None else None, latency_s, cost_usd, now()])
        return cur.lastrowid

    # -- requests the provider is still working on (core.providers.base.Ticket) -------------------------
    def pending(self, key: str) -> str | None:
        """The request id of an unfinished provider request for this exact call, if one was started."""
        rows = list(self._conns.get().query("SELECT request_id FROM deferred WHERE key = ?", [key]))
        return rows[0]["request_id"] if rows else None

    def started(self, key: str, *, provider: str, request_id: str, job: int | None, slot: str | None) -> None:
        self._conns.get().execute(
            "INSERT OR REPLACE INTO deferred (key, provider, request_id, job, slot, started) VALUES (?,?,?,?,?,?)",
            [key, provider, request_id, job, slot, now()])

    def waiting(self) -> list[dict]:
        """Every request started and not yet collected, oldest first: slot, provider, request id, when."""
        return list(self._conns.get().query(
            "SELECT slot, provider, request_id, started FROM deferred ORDER BY started"))

    def ended(self, key: str) -> None:
        self._conns.get().execute("DELETE FROM deferred WHERE key = ?", [key])

    # -- as portable rows (bundles): ids and job links are this machine's, so they are not part of a row ------------
    JSON = ("params", "inputs", "result")

    def rows(self) -> list[dict]:
        """Every call, each with `job_branch`: the branch of the job that made it (None for a job-less call)."""
        from core.store.db import dump
        db = self._conns.get()
        branch_of = {r["id"]: r["branch"] for r in db.query("SELECT id, branch FROM jobs")}
        out = dump(db, "calls", json_columns=self.JSON, order="id", omit=("id",))
        for row in out:
            row["job_branch"] = branch_of.get(row.pop("job"))
        return out

    def load(self, rows: list[dict]) -> None:
        from core.store.db import load
        load(self._conns.get(), "calls", [{k: v for k, v in r.items() if k not in ("id", "job")} for r in rows],
             json_columns=self.JSON, canonical_json=canonical)

    def totals(self) -> dict:
        row = next(self._conns.get().query(
            "SELECT count(*) AS total, coalesce(sum(cost_usd), 0) AS cost_usd FROM calls"))
        return {"total": row["total"], "cost_usd": round(row["cost_usd"], 4)}

    def by_slot(self) -> dict[str, dict]:
        return {r["slot"]: {"calls": r["n"], "cost_usd": round(r["cost"], 4)} for r in self._conns.get().query(
            "SELECT slot, count(*) AS n, coalesce(sum(cost_usd), 0) AS cost FROM calls GROUP BY slot")}

    def by_job(self) -> dict[int, dict]:
        return {r["job"]: {"calls": r["n"], "cost_usd": round(r["cost"], 4)} for r in self._conns.get().query(
            "SELECT job, count(*) AS n, coalesce(sum(cost_usd), 0) AS cost FROM calls WHERE job IS NOT NULL "
            "GROUP BY job ORDER BY job")}

    def recent(self, limit: int = 100) -> list[dict]:
        return list(self._conns.get().query("SELECT * FROM calls ORDER BY id DESC LIMIT ?", [limit]))
