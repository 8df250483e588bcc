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


def test_a_row_with_an_unquoted_comma_is_refused_with_its_file_and_line(tmp_path) -> None:
    from abm.analysis.targets import read_targets
    from abm.csv_rows import strict_rows
    from abm.errors import InputError

    text = "id,value,source\na,1,COW\nb,2,Lytton (League of Nations, 1932)\n"
    with pytest.raises(InputError, match=r"t\.csv, line 3: 4 fields where the header has 3"):
        strict_rows(text.splitlines(), "t.csv")
    first = strict_rows(text.splitlines()[:2], "t.csv")
    assert first == [{"id": "a", "value": "1", "source": "COW"}]
    # abm validate's own targets files too.
    bad = tmp_path / "targets.csv"
    bad.write_text("target,outcome,historical,source\nx,famine_deaths,5.0,Davies, Wheatcroft\n")
    with pytest.raises(InputError, match=r"row 2: 5 fields where the header has 4"):
        read_targets(bad)


def test_the_projects_calibration_targets_file_reads_strictly() -> None:
    from abm.csv_rows import strict_rows
    from abm.models.interwar.germany.calibration import load_targets, targets_path

    path = targets_path()
    with open(path, newline="", encoding="utf-8") as fh:
        rows = {r["target_id"]: r for r in strict_rows(fh, str(path))}
    assert rows["EV_mukden"]["source"].endswith("League of Nations, 1932)")
    assert load_targets()["CCP_members_1927-12"].central == 10000.0
