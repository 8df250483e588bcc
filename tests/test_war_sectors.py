"""The war's front sectors: the shipped map's checks, and a bad table refused clearly."""

from __future__ import annotations

import numpy as np
import pytest

from abm.errors import InputError
from abm.models.catalogue import data_rows
from abm.models.interwar.war import sectors as WS


@pytest.fixture(scope="module")
def table() -> WS.SectorTable:
    return WS.sector_table()


def test_the_map_covers_every_front_with_fifty_or_more_sectors(table) -> None:
    assert len(table.names) >= 50
    assert set(table.front.tolist()) == set(range(len(WS.FRONTS)))
    assert np.array_equal(table.adjacency, table.adjacency.T)
    assert not table.adjacency.diagonal().any()
    # The fortification lines where history put them.
    fort = dict(zip(table.names, table.fortification.tolist(), strict=True))
    assert fort["karelian_isthmus"] == 1.0 and fort["alsace_lorraine"] == 1.0
    assert fort["rhineland_westwall"] == 1.0 and fort["western_egypt"] == 0.0
    # People: Germany's 1939 census about 87 million, within 5 %.
    german = sum(p for p, o in zip(table.people, table.owner_1939, strict=True) if o == "GMY")
    assert 0.95 * 86_755 < german < 1.05 * 86_755, german


def test_each_front_is_connected_and_europe_is_one_theatre(table) -> None:
    for f, front in enumerate(WS.FRONTS):
        label = WS.components(table.adjacency, table.front == f)
        assert label.max() == 0, front  # one component on the front
    asia = np.isin(table.front, [WS.FRONTS.index("china"), WS.FRONTS.index("soviet_far_east")])
    assert WS.components(table.adjacency, ~asia).max() == 0
    assert WS.components(table.adjacency, asia).max() == 0
    # Berlin is reached from the Channel and from Minsk without Italy or the Balkans.
    south = np.isin(table.front, [WS.FRONTS.index("italy"), WS.FRONTS.index("balkans")])
    label = WS.components(table.adjacency, ~asia & ~south)
    idx = {n: i for i, n in enumerate(table.names)}
    for start in ("channel_coast", "minsk"):
        assert label[idx[start]] == label[idx["berlin_brandenburg"]], start


def _rows() -> list[dict[str, str]]:
    return [dict(r) for r in data_rows(WS.FILE, WS.PACKAGE)]


def test_a_bad_table_is_refused_with_its_row_field_and_value() -> None:
    rows = _rows()
    rows[3]["front"] = "pacific"
    with pytest.raises(InputError, match=r"t\.csv, row 5, field 'front': 'pacific'"):
        WS.parse_sectors(rows, "t.csv")
    rows = _rows()
    rows[0]["infrastructure"] = "1.5"
    with pytest.raises(InputError, match=r"row 2, field 'infrastructure': '1.5'.*\[0, 1\]"):
        WS.parse_sectors(rows, "t.csv")
    rows = _rows()
    rows[1]["neighbours"] = rows[1]["neighbours"] + ";atlantis"
    with pytest.raises(InputError, match=r"row 3, field 'neighbours': 'atlantis'"):
        WS.parse_sectors(rows, "t.csv")
    # A link listed one way only names the row that lacks it.
    rows = _rows()
    a, b = rows[0]["sector"], rows[0]["neighbours"].split(";")[0]
    j = next(i for i, r in enumerate(rows) if r["sector"] == b)
    rows[j]["neighbours"] = ";".join(n for n in rows[j]["neighbours"].split(";") if n != a)
    with pytest.raises(InputError, match=rf"row {j + 2}, field 'neighbours'.*names '{a}'"):
        WS.parse_sectors(rows, "t.csv")
    rows = _rows()
    rows[5]["sector"] = rows[2]["sector"]
    with pytest.raises(InputError, match=r"row 7, field 'sector'"):
        WS.parse_sectors(rows, "t.csv")
