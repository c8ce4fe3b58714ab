"""How well the intake understands people: a labelled corpus of replies, and its figures.

    python -m conversations.corpus [FILE]

The corpus is YAML: per question kind the step it is asked at, the language the
conversation is in, and replies with what they mean:

    debts:
      step: debts
      language: nl
      replies:
        "nee ik heb geen schulden": ok      # a choice id: the answer to record
        "ok?": ask                          # must be asked back, never recorded
        "wat is cjib": side:cjib            # a side question
        "MENS": keyword:human               # a keyword
        "de huur is te hoog": note          # free text kept at a text step

A reply read as another choice than its label is a wrong record; the target is none.
A reply asked back is not wrong, but not resolved either.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from conversations import engine
from conversations.script import Script, load_default_scripts, parse_yaml
from conversations.testing import MONDAY_MORNING, SAM

DEFAULT_CORPUS = Path(__file__).parent.parent / "tests" / "conversations" / "replies.yaml"
ASK = "ask"
UNRESOLVED = ("ask", "unclear", "language")


@dataclass(frozen=True)
class Case:
    kind: str
    step: str
    language: str
    reply: str
    label: str


@dataclass(frozen=True)
class Result:
    case: Case
    reading: str  # "kind:value" as the engine read it

    @property
    def chose(self) -> str | None:
        return self.reading.removeprefix("choice:") if self.reading.startswith("choice:") else None

    @property
    def wrong_record(self) -> bool:
        """An answer recorded that the label does not say (or says must be asked back)."""
        return self.chose is not None and self.chose != self.case.label

    @property
    def asked_back(self) -> bool:
        return self.reading.split(":", 1)[0] in UNRESOLVED

    @property
    def correct(self) -> bool:
        if self.case.label == ASK:
            return self.asked_back
        if self.chose is not None:
            return self.chose == self.case.label
        return self.reading == self.case.label


@dataclass
class Figures:
    replies: int = 0
    must_ask: int = 0  # labelled `ask`
    resolved: int = 0  # a meaning, read correctly without asking back
    asked_back: int = 0  # a meaning, but asked back
    wrong_records: int = 0
    misread: list[Result] = field(default_factory=list)  # neither right nor asked back
    asked: list[Result] = field(default_factory=list)  # asked back

    @property
    def with_meaning(self) -> int:
        return self.replies - self.must_ask

    @property
    def resolved_share(self) -> float:
        return self.resolved / self.with_meaning if self.with_meaning else 1.0

    def add(self, result: Result) -> None:
        self.replies += 1
        if result.case.label == ASK:
            self.must_ask += 1
        elif result.correct:
            self.resolved += 1
        elif result.asked_back:
            self.asked_back += 1
        if result.wrong_record:
            self.wrong_records += 1
        if result.asked_back:
            self.asked.append(result)
        if not result.correct and not (result.asked_back and result.case.label != ASK):
            self.misread.append(result)


def load_corpus(path: Path) -> list[Case]:
    """The labelled replies of a corpus file."""
    raw = parse_yaml(path.read_text("utf-8")) or {}
    cases = []
    for kind, body in raw.items():
        for reply, label in (body.get("replies") or {}).items():
            cases.append(
                Case(
                    kind, str(body["step"]), str(body.get("language", "nl")), str(reply), str(label)
                )
            )
    return cases


def run(script: Script, cases: Iterable[Case]) -> list[Result]:
    """Each reply read by the engine at its step, as the first reply to that question."""
    results = []
    for case in cases:
        state = engine.at_step(script, case.step, SAM, MONDAY_MORNING, case.language)
        reading, _ = engine.read(state, script, case.reply, SAM, MONDAY_MORNING)
        seen = f"{reading.kind}:{reading.value}" if reading else "silence:"
        results.append(Result(case, seen.removesuffix(":")))
    return results


def figures(results: Sequence[Result]) -> dict[str, Figures]:
    """Figures per question kind, and `all` for the whole corpus."""
    out: dict[str, Figures] = {"all": Figures()}
    for result in results:
        out.setdefault(result.case.kind, Figures()).add(result)
        out["all"].add(result)
    return out


def report(by_kind: dict[str, Figures]) -> str:
    """The figures as a table, then every reply that was read wrong."""
    head = (
        f"{'kind':<20}{'replies':>8}{'resolved':>10}{'asked back':>12}{'must ask':>10}{'wrong':>7}"
    )
    lines = [head]
    for kind, f in by_kind.items():
        lines.append(
            f"{kind:<20}{f.replies:>8}{f.resolved_share:>10.1%}{f.asked_back:>12}"
            f"{f.must_ask:>10}{f.wrong_records:>7}"
        )
    total = by_kind["all"]
    lines.append("")
    lines.append(
        f"wrong records: {total.wrong_records}; resolved without asking back: "
        f"{total.resolved}/{total.with_meaning} ({total.resolved_share:.1%})"
    )
    for r in total.misread:
        lines.append(
            f"  misread [{r.case.kind}] {r.case.reply!r}: want {r.case.label}, got {r.reading}"
        )
    asked = [r for r in total.asked if r.case.label != ASK]
    for r in asked:
        lines.append(f"  asked back [{r.case.kind}] {r.case.reply!r}: means {r.case.label}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the matcher's figures for a corpus; non-zero when an answer was recorded wrong."""
    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(args[0]) if args else DEFAULT_CORPUS
    try:
        cases = load_corpus(path)
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        print(f"cannot read corpus {path}: {exc}", file=sys.stderr)
        return 2
    by_kind = figures(run(load_default_scripts()["intake"], cases))
    print(report(by_kind))
    return 1 if by_kind["all"].wrong_records else 0


if __name__ == "__main__":
    sys.exit(main())
