"""An answer's rows as a CSV table (issue 15: a list answer is a table, and a CSV of it).

The header is the answer's column names (the answer contract's ``columns``), one line per row; values
are written as the Answer JSON holds them (numbers as numbers, dates as ISO strings, None as empty).
"""

from __future__ import annotations

import csv
import io

from metricqa.assistant.presentation.answer import Answer


def answer_csv(answer: Answer) -> str:
    """The answer's columns and rows as CSV text (RFC 4180 quoting, ``\\r\\n`` line ends)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(answer.columns)
    writer.writerows(["" if v is None else v for v in row] for row in answer.rows)
    return out.getvalue()
