"""The evaluation dataset: typed cases and their loader (issue 6).

The questions live in ``evals/data/*.yaml`` (one top-level ``cases:`` list per file). Every case is
validated here, and every problem across all files is collected before one ``DatasetError`` is raised,
each with its file and line (style.md §2, §4). The time conventions the gold SQL assumes are written
at the top of ``evals/data/questions.yaml``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from metricqa.core.errors import RefusalReason, UserFacingError
from metricqa.core.messages import Message

DATA_DIR = Path(str(resources.files(__package__ or __name__).joinpath("data")))
DEFAULT_AS_OF = date(2026, 11, 20)
CASE_ID = r"^[a-z][a-z0-9_]*-\d{3}$"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")

Status = Literal["answered", "clarify", "refused"]
GrainName = Literal["none", "day", "week", "month", "quarter", "year"]
ComparisonName = Literal["none", "previous_period", "same_period_last_year", "target"]


class Tag(StrEnum):
    """What a case exercises; a case carries one or more."""

    SINGLE_METRIC = "single_metric"
    BREAKDOWN = "breakdown"
    MEMBER_FILTER = "member_filter"
    TIME_EXPRESSION = "time_expression"
    TREND = "trend"
    COMPARISON = "comparison"
    RANKING = "ranking"
    LAGGED = "lagged"
    FOLLOW_UP = "follow_up"
    GOVERNANCE = "governance"
    AMBIGUITY = "ambiguity"
    OUT_OF_SCOPE = "out_of_scope"
    ADVERSARIAL = "adversarial"
    TYPO = "typo"
    MIXED_LANGUAGE = "mixed_language"
    PARAPHRASE = "paraphrase"
    # question shapes of issue 10 (evals/data/questions_shapes.yaml, holdout_shapes.yaml)
    EXCLUSION = "exclusion"
    PERIOD_RANGE = "period_range"
    COMPOSED_PERIOD = "composed_period"
    PERIOD_COMPARE = "period_compare"
    SHARE = "share"
    RANK_CHANGE = "rank_change"
    THRESHOLD = "threshold"
    MULTI_METRIC = "multi_metric"
    UNKNOWN_METRIC = "unknown_metric"
    BAD_BREAKDOWN = "bad_breakdown"
    SCOPE_HONESTY = "scope_honesty"
    SHORTHAND = "shorthand"
    # lists and lookups of issue 15 (evals/data/questions_lists.yaml)
    LIST = "list"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeWindow(_Strict):
    """Inclusive date range a correct plan should resolve the question's period to."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self


class EvalCase(_Strict):
    """One graded question. ``gold_sql`` exists exactly when the expected status is ``answered``."""

    id: str = Field(pattern=CASE_ID)
    question: str = Field(min_length=1)
    language: Literal["en", "zh"]
    role: str = "exec"
    scope: dict[str, str] = Field(default_factory=dict)
    as_of: date | None = None  # else the file's `as_of`, else the assistant's as-of date
    turns: tuple[str, ...] = ()
    tags: tuple[str, ...] = Field(min_length=1)  # the packaged data uses the `Tag` names
    expected_status: Status
    acceptable_statuses: tuple[Status, ...] = ()
    expected_metrics: tuple[str, ...] = ()
    expected_dimensions: tuple[str, ...] | None = None
    expected_grain: GrainName | None = None
    expected_time: TimeWindow | None = None
    expected_comparison: ComparisonName | None = None
    expected_member_scope: dict[str, tuple[str, ...]] | None = None
    gold_sql: str | None = None
    gold_columns_match: dict[str, str] | None = None
    ordered: bool = False
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> EvalCase:
        problems = [*_status_problems(self), *_shape_problems(self)]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def accepts(self, status: str) -> bool:
        """Whether an answer with this status is graded correct."""
        return status == self.expected_status or status in self.acceptable_statuses


def _status_problems(case: EvalCase) -> list[str]:
    answered = case.expected_status == "answered"
    out: list[str] = []
    if answered and not (case.gold_sql and case.gold_sql.strip()):
        out.append("an answered case needs gold_sql")
    if not answered:
        plan_fields = (
            "gold_sql",
            "expected_time",
            "expected_grain",
            "expected_comparison",
            "expected_dimensions",
        )
        out += [f"a {case.expected_status} case must not have {f}" for f in plan_fields if getattr(case, f)]
        if case.ordered:
            out.append("only an answered case can be ordered")
    if case.expected_status in case.acceptable_statuses:
        out.append("acceptable_statuses repeats expected_status")
    return out


def _shape_problems(case: EvalCase) -> list[str]:
    out: list[str] = []
    if len(set(case.tags)) != len(case.tags):
        out.append("duplicate tags")
    if (Tag.FOLLOW_UP in case.tags) != bool(case.turns):
        out.append("a follow_up case, and only one, has turns")
    if case.role == "regional_manager" and "region" not in case.scope:
        out.append("regional_manager needs scope.region")
    if case.role == "sales_rep" and "rep" not in case.scope:
        out.append("sales_rep needs scope.rep")
    if case.language == "en" and _CJK.search(case.question):
        out.append("a question with Chinese characters is language zh")
    return out


@dataclass(frozen=True)
class DatasetIssue:
    """One problem found while loading the dataset."""

    message: str
    file: str
    line: int | None = None

    def context_str(self) -> str:
        where = f"in file `{self.file}`" + (f" on line #{self.line}" if self.line is not None else "")
        return f"{self.message} ({where})"


class DatasetError(UserFacingError):
    """The eval dataset failed to load; carries every issue found."""

    def __init__(self, issues: list[DatasetIssue]) -> None:
        self.issues = issues
        lines = "\n".join(i.context_str() for i in issues)
        super().__init__(
            Message("error.eval_dataset_invalid", {"count": len(issues), "issues": lines}),
            kind="eval_dataset_invalid",
            reason=RefusalReason.INVALID_CONFIG,
        )


class EvalDataset(_Strict):
    """All cases, in file order, with where each one was written."""

    cases: tuple[EvalCase, ...]
    locations: dict[str, str] = Field(default_factory=dict)

    def by_id(self, case_id: str) -> EvalCase:
        for case in self.cases:
            if case.id == case_id:
                return case
        raise KeyError(case_id)

    def with_tag(self, tag: Tag | str) -> tuple[EvalCase, ...]:
        return tuple(c for c in self.cases if Tag(tag) in c.tags)

    def summary(self) -> dict[str, dict[str, int]]:
        """Counts by tag, language, status and role (a case counts once per tag)."""
        return {
            "tag": dict(Counter(str(t) for c in self.cases for t in c.tags).most_common()),
            "language": dict(Counter(c.language for c in self.cases)),
            "status": dict(Counter(c.expected_status for c in self.cases)),
            "role": dict(Counter(c.role for c in self.cases)),
        }


def _case_lines(text: str) -> list[int]:
    """1-based line of each item of the top-level ``cases`` list."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "cases" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _parse_file(
    path: Path, default_as_of: date | None = None
) -> tuple[list[tuple[EvalCase, int | None]], list[DatasetIssue]]:
    text = path.read_text(encoding="utf-8")
    try:
        raw: Any = yaml.safe_load(text)
        lines = _case_lines(text)
    except yaml.YAMLError as exc:
        return [], [DatasetIssue(f"not valid YAML: {exc}", str(path))]
    if not isinstance(raw, dict) or set(raw) - {"as_of"} != {"cases"} or not isinstance(raw["cases"], list):
        return [], [DatasetIssue("the file must hold `cases` (a list) and optionally `as_of`", str(path))]
    file_as_of = raw.get("as_of", default_as_of)
    cases: list[tuple[EvalCase, int | None]] = []
    issues: list[DatasetIssue] = []
    for i, item in enumerate(raw["cases"]):
        line = lines[i] if i < len(lines) else None
        try:
            case = EvalCase.model_validate(item)
            if case.as_of is None and file_as_of is not None:
                case = case.model_copy(update={"as_of": date.fromisoformat(str(file_as_of))})
            cases.append((case, line))
        except ValidationError as exc:
            name = item.get("id", f"#{i}") if isinstance(item, dict) else f"#{i}"
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"])
                issues.append(
                    DatasetIssue(f"case {name}: {loc + ': ' if loc else ''}{err['msg']}", str(path), line)
                )
    return cases, issues


def _files(path: Path) -> list[Path]:
    return sorted(path.glob("*.yaml")) if path.is_dir() else [path]


def load_dataset(path: Path | str | None = None) -> EvalDataset:
    """Load one YAML file, or every ``*.yaml`` in a directory (default ``evals/data``, the demo's
    questions: as of 2026-11-20 and tagged with the ``Tag`` names)."""
    packaged = path is None
    root = Path(path) if path is not None else DATA_DIR
    files = _files(root)
    issues: list[DatasetIssue] = [] if files else [DatasetIssue("no dataset files found", str(root))]
    cases: list[EvalCase] = []
    locations: dict[str, str] = {}
    for file in files:
        parsed, found = _parse_file(file, DEFAULT_AS_OF if packaged else None)
        issues += found
        for case, line in parsed:
            unknown = sorted(set(case.tags) - {t.value for t in Tag}) if packaged else []
            if unknown:
                issues.append(DatasetIssue(f"case {case.id}: unknown tags {unknown}", str(file), line))
            where = f"{file.name}:{line}" if line else file.name
            if case.id in locations:
                issues.append(
                    DatasetIssue(f"duplicate id {case.id} (first at {locations[case.id]})", str(file), line)
                )
                continue
            locations[case.id] = where
            cases.append(case)
    if issues:
        raise DatasetError(issues)
    return EvalDataset(cases=tuple(cases), locations=locations)


def gold_cases(dataset: EvalDataset) -> Iterable[EvalCase]:
    """The cases that carry gold SQL (every answered case)."""
    return (c for c in dataset.cases if c.gold_sql)


if __name__ == "__main__":  # pragma: no cover - a quick report: python -m evals.dataset
    import json

    print(json.dumps(load_dataset().summary(), ensure_ascii=False, indent=2))
