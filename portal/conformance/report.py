"""Checks, their results and the report: readable text or JSON, and the exit code.

A check has an id (``paging.totals``), a severity (``required`` by the standard
or ``recommended``) and a title. Running it gives ``pass``, ``fail`` or ``skip``
(could not be judged with the data at hand) plus evidence lines. The run passes
when no required check fails.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable

REQUIRED = "required"
RECOMMENDED = "recommended"
PASS, FAIL, SKIP = "pass", "fail", "skip"
MAX_EVIDENCE = 40  # per check, in the JSON report; the text report shows fewer

_PERSONAL = re.compile(r"(?<![0-9])((?:1[0-57-9]|[02-9][0-9])[0-9]{6})[0-9]{4}(?![0-9])")


def mask(text: str) -> str:
    """Hide the last four digits of 12-digit personal numbers (``16``-prefixed organisation numbers stay)."""
    return _PERSONAL.sub(r"\1****", text)


@dataclass(frozen=True)
class CheckSpec:
    id: str
    severity: str
    title: str


class Evidence:
    """What one check saw: ``bad`` lines fail it, ``ok`` lines support a pass, ``skip`` says why it could not judge."""

    def __init__(self):
        self.lines: list[tuple[bool, str]] = []
        self.skip_reason: str | None = None

    def ok(self, line: str) -> None:
        self.lines.append((True, line))

    def bad(self, line: str) -> None:
        self.lines.append((False, line))

    def expect(self, condition: bool, line: str) -> bool:
        """Record ``line`` as good or bad by ``condition``; returns it."""
        self.lines.append((bool(condition), line))
        return bool(condition)

    def skip(self, reason: str) -> None:
        self.skip_reason = reason

    @property
    def failed(self) -> bool:
        return any(not good for good, _ in self.lines)


@dataclass
class Result:
    spec: CheckSpec
    status: str
    evidence: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"id": self.spec.id, "severity": self.spec.severity, "title": self.spec.title,
                "status": self.status, "evidence": self.evidence[:MAX_EVIDENCE],
                "more_evidence": max(0, len(self.evidence) - MAX_EVIDENCE)}


class Battery:
    """An ordered set of checks; ``@battery.check(id, severity, title)`` registers one."""

    def __init__(self):
        self.checks: list[tuple[CheckSpec, Callable]] = []

    def check(self, id_: str, severity: str, title: str):
        def register(fn):
            if any(spec.id == id_ for spec, _ in self.checks):
                raise ValueError(f"duplicate check id {id_}")
            self.checks.append((CheckSpec(id_, severity, title), fn))
            return fn
        return register

    @property
    def specs(self) -> list[CheckSpec]:
        return [spec for spec, _ in self.checks]

    def run(self, ctx) -> list[Result]:
        """Run every check against ``ctx``; a check that crashes fails with the exception as evidence."""
        results = []
        for spec, fn in self.checks:
            ev = Evidence()
            try:
                fn(ctx, ev)
            except Exception as exc:  # a surprising answer must not stop the other checks
                ev.bad(f"the check could not finish: {exc.__class__.__name__}: {exc}")
            results.append(_result(spec, ev))
        return results


def _result(spec: CheckSpec, ev: Evidence) -> Result:
    bad = [mask(line) for good, line in ev.lines if not good]
    good = [mask(line) for good, line in ev.lines if good]
    if bad:
        return Result(spec, FAIL, bad + good)
    if ev.skip_reason is not None and not good:
        return Result(spec, SKIP, [mask(ev.skip_reason)])
    if ev.skip_reason is not None:
        good.append(mask(ev.skip_reason))
    return Result(spec, PASS, good)


@dataclass
class Report:
    kind: str  # "producer" or "registry"
    target: str
    results: list[Result]

    def failed(self, severity: str | None = None) -> list[str]:
        return [r.spec.id for r in self.results
                if r.status == FAIL and (severity is None or r.spec.severity == severity)]

    @property
    def passed(self) -> bool:
        return not self.failed(REQUIRED)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def summary(self) -> dict:
        out = {}
        for severity in (REQUIRED, RECOMMENDED):
            rows = [r for r in self.results if r.spec.severity == severity]
            out[severity] = {s: sum(r.status == s for r in rows) for s in (PASS, FAIL, SKIP)}
        return out

    def to_json(self) -> dict:
        return {
            "kit": "mina-arenden-conformance",
            "kind": self.kind,
            "target": self.target,
            "passed": self.passed,
            "summary": self.summary(),
            "failed": self.failed(),
            "failed_required": self.failed(REQUIRED),
            "failed_recommended": self.failed(RECOMMENDED),
            "checks": [r.to_json() for r in self.results],
        }

    def to_text(self, evidence_lines: int = 4) -> str:
        width = max((len(r.spec.id) for r in self.results), default=10)
        lines = [f"Mina ärenden conformance kit: {self.kind} {self.target}", ""]
        for r in self.results:
            lines.append(f"  {r.status.upper():4}  {r.spec.severity:11}  {r.spec.id:{width}}  {r.spec.title}")
            for line in r.evidence[:evidence_lines]:
                lines.append(f"{'':21}{'':{width}}    {line}")
            if len(r.evidence) > evidence_lines:
                lines.append(f"{'':21}{'':{width}}    ... and {len(r.evidence) - evidence_lines} more (see --json)")
        s = self.summary()
        lines.append("")
        for severity in (REQUIRED, RECOMMENDED):
            counts = s[severity]
            lines.append(f"{severity.capitalize() + ':':13}{counts[PASS]} passed, {counts[FAIL]} failed, "
                         f"{counts[SKIP]} skipped")
        if self.passed:
            lines.append("RESULT: PASS (every required check passed)")
        else:
            lines.append("RESULT: FAIL (required checks failed: " + ", ".join(self.failed(REQUIRED)) + ")")
        return "\n".join(lines)

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)
