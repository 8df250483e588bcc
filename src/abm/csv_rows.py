"""CSV rows read strictly: a row whose field count differs from the header's is an error.

``csv.DictReader`` keeps a row's extra fields under the key ``None`` and fills missing
ones with ``None``; read naively, a value with an unquoted comma silently loses its tail
(or shifts into the wrong column). Every hand-edited table of the project (the
calibration targets above all) is read through :func:`strict_rows`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

from abm.errors import InputError


def strict_rows(lines: Iterable[str], where: str) -> list[dict[str, str]]:
    """The rows of a CSV text as dicts keyed by the header, every row checked.

    Args:
        lines: the file's lines (an open file or ``text.splitlines()``).
        where: the file's name for messages.

    Raises:
        InputError: a row with more or fewer fields than the header (naming the file,
            the row's line number, the counts and the first field), so the file can be
            fixed, typically by quoting a value that holds a comma.
    """
    reader = csv.DictReader(lines)
    n = len(reader.fieldnames or [])
    out = []
    for rec in reader:
        extra = rec.get(None)
        short = any(v is None for k, v in rec.items() if k is not None)
        if extra is not None or short:
            got = n + len(extra) if extra is not None else sum(v is not None for v in rec.values())
            first = next(iter(rec.values()), "")
            raise InputError(
                f"{where}, line {reader.line_num}: {got} fields where the header has {n} "
                f"(row {first!r}); quote a value that holds a comma"
            )
        out.append({str(k): v for k, v in rec.items()})
    return out


__all__ = ["strict_rows"]
