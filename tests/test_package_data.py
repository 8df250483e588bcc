"""The package's data files: read by name, and a missing one named clearly."""

from __future__ import annotations

import pytest

from abm.models.catalogue import data_rows


def test_data_rows_reads_a_shipped_csv_by_its_header() -> None:
    rows = data_rows("frontiers_theatres.csv", "abm.models.interwar")
    assert [r["theatre"] for r in rows] == ["khasan", "khalkhin_gol", "finland"]
    assert float(rows[2]["soviet_force"]) == 450.0


def test_a_missing_data_file_names_the_file_and_the_package() -> None:
    with pytest.raises(FileNotFoundError, match=r"no_such_table\.csv.*abm\.models\.interwar"):
        data_rows("no_such_table.csv", "abm.models.interwar")
