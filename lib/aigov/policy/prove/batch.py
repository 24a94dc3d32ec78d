"""``aigov prove --batch``: docs/contracts/properties.md's JSON Lines form, line for line.

In: ``{"id", "scps": [[policy, ...], ...], "rcps": [[...], ...]?, "property": {"expect",
"principal"?, "action"?, "resource"?, "context"?}}``, the policies read exactly as
``aigov simulate --batch`` reads them (the same ``BatchSimulator`` compiles them). Out:
``{"id", "result": "proven" | "refuted" | "unknown", "counterexample"?, "reason"?}``, or
``{"id", "error"}`` for a malformed line. A refuted line's counterexample, sent to
``simulate --batch`` with the same policies, gets the decision the property rules out.
Exit: 2 when a line was malformed, else 1 when a property was not proven, else 0.
"""

from __future__ import annotations

from typing import IO, Any

from aigov.policy.batch import BadLine, BatchSimulator, read_line
from aigov.policy.jsonlines import answer_stream
from aigov.policy.prove.encode import Group
from aigov.policy.prove.properties import BATCH_ACCOUNT, BadProperty, parse_property
from aigov.policy.prove.solve import DEFAULT_TIMEOUT_MS, EncodingBug, prove

LINE_KEYS = {"id", "scps", "rcps", "property"}


class BatchProver:
    def __init__(self, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        self.sim = BatchSimulator()
        self.timeout_ms = timeout_ms

    def answer(self, line: bytes | str) -> dict[str, Any]:
        """One output object for one input line (never raises on bad input)."""
        case_id: Any = None
        try:
            data = read_line(line, LINE_KEYS)
            case_id = data.get("id")
            if "property" not in data:
                raise BadLine("missing property")
            scps = self.sim.chain(data.get("scps", []), "scps")
            rcps = self.sim.chain(data["rcps"], "rcps") if "rcps" in data else None
            try:
                prop = parse_property(data["property"], batch=True, prefix="property.")
            except BadProperty as exc:
                raise BadLine(f"{exc.key}: {exc}") from None
        except BadLine as exc:
            return {"id": case_id if exc.case_id is None else exc.case_id, "error": str(exc)}
        group = Group("batch", scps, rcps, (BATCH_ACCOUNT,))
        try:
            outcome = prove(prop, [group], batch=True, timeout_ms=self.timeout_ms)[0]
        except EncodingBug as exc:
            return {"id": case_id, "result": "unknown", "reason": f"encoding bug: {exc}"}
        out: dict[str, Any] = {"id": case_id, "result": outcome.result}
        if outcome.counterexample is not None:
            out["counterexample"] = outcome.counterexample
        if outcome.result == "unknown":
            out["reason"] = outcome.reason
        return out


def run_batch(infile: IO[Any], outfile: IO[Any], timeout_ms: int = DEFAULT_TIMEOUT_MS) -> int:
    """Answer every line of ``infile`` on ``outfile`` (``jsonlines``: each answer goes out
    as soon as answering has taken a tenth of a second); the exit code (see above)."""
    return answer_stream(infile, outfile, BatchProver(timeout_ms).answer, _grade)


def _grade(out: dict[str, Any]) -> int:
    """2 for a malformed line, 1 for a property not proven, else 0."""
    if "error" in out:
        return 2
    return 0 if out["result"] == "proven" else 1
