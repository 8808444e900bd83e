"""The time words of each language (``time.<language>.yaml``), parsed and checked.

One file per language holds every word the time grammar knows: month names, number words, units,
relative words, range and comparison words, holidays. A misspelt key is an error, and so is a word
that two token classes claim (``TimeWordsError`` lists every issue with its file).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Unit = Literal["day", "week", "month", "quarter", "year", "all"]  # all: all time ("ever", "累计")
FILE_PREFIX, FILE_SUFFIX = "time.", ".yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RelativeWords(_Strict):
    """Words that pick a period relative to the current one: ``offset`` 0 = this, -1 = last, 1 = next."""

    words: list[str]
    offset: int
    units: list[Unit] | None = None  # None: any unit, and month names too ("last March")


class TimeWords(_Strict):
    """One language's time words; see ``time.en.yaml`` for what each list is for."""

    language: str
    months: dict[str, int] = {}
    weak_months: list[str] = []
    numbers: dict[str, int] = {}
    tens: list[str] = []
    ordinals: dict[str, int] = {}
    units: dict[Unit, list[str]] = {}
    measure_words: list[str] = []
    year_suffixes: list[str] = []
    month_suffixes: list[str] = []
    day_suffixes: list[str] = []
    day_of_month_suffixes: list[str] = []
    day_month_joiners: list[str] = []
    year_joiners: list[str] = []
    quarter_prefixes: list[str] = []
    quarter_suffixes: list[str] = []
    half_prefixes: list[str] = []
    halves: dict[str, int] = {}
    relative: list[RelativeWords] = []
    periods: dict[str, tuple[Unit, int]] = {}
    holidays: dict[str, tuple[int, int]] = {}
    counted_units: dict[str, tuple[Unit, int]] = {}
    last_n: list[str] = []
    next_n: list[str] = []
    first_n: list[str] = []
    ago: list[str] = []
    before_last: list[str] = []
    before: list[str] = []
    to_now: list[str] = []
    now: list[str] = []
    since: list[str] = []
    from_: list[str] = Field(default=[], alias="from")
    between: list[str] = []
    range_separators: list[str] = []
    start_of: list[str] = []
    comparators: list[str] = []
    leading_comparators: list[str] = []
    compare_verbs: list[str] = []
    joins: list[str] = []
    same_period: list[str] = []
    prepositions: list[str] = []
    articles: list[str] = []
    fillers_after: list[str] = []
    not_time: list[str] = []
    fuzzy_min_length: int = 0

    @field_validator("months", "halves", "ordinals")
    @classmethod
    def _small_numbers(cls, value: dict[str, int]) -> dict[str, int]:
        bad = [word for word, n in value.items() if not -1 <= n <= 12 or n == 0]
        if bad:
            raise ValueError(f"numbers out of range for {bad}")
        return value

    @field_validator("holidays")
    @classmethod
    def _days(cls, value: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
        bad = [word for word, (m, d) in value.items() if not (1 <= m <= 12 and 1 <= d <= 31)]
        if bad:
            raise ValueError(f"not a month and day: {bad}")
        return value


class TimeWordsError(ValueError):
    """Every problem found in the time word files, each with its file."""

    def __init__(self, issues: list[str]) -> None:
        super().__init__("time words: " + "; ".join(issues))
        self.issues = issues


def parse_words(text: str, filename: str) -> TimeWords:
    try:
        return TimeWords.model_validate(yaml.safe_load(text))
    except ValidationError as error:
        issues = [f"in file `{filename}`: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        raise TimeWordsError(issues) from error


@cache
def load_words() -> tuple[TimeWords, ...]:
    """Every ``time.<language>.yaml`` shipped with the package, in file-name order."""
    folder = resources.files(__package__ or __name__)
    files = sorted(
        (f for f in folder.iterdir() if f.name.startswith(FILE_PREFIX) and f.name.endswith(FILE_SUFFIX)),
        key=lambda f: f.name,
    )
    return tuple(parse_words(f.read_text(encoding="utf-8"), f.name) for f in files)
