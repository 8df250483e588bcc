"""Messages, not tracebacks; ``abm calibrate`` validates first and writes all or nothing.

Issue 11, items 5 and 12. Each failure a user can cause prints one line and exits
non-zero (2 for the user's input, checked before simulating where it can be), and leaves
nothing half-written. Most of these fail before anything is simulated: no model compiles.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from conftest import OTL

import abm.calibration as calibration
from abm.cli import main
from abm.models import registry
from abm.models.interwar.germany.slice import SLICE as GERMANY
from abm.models.interwar.parameters import GERMANY_CALIBRATION, SOVIET_CALIBRATION
from abm.models.interwar.soviet.slice import SLICE as SOVIET


def _state(path: Path) -> tuple[bytes, int]:
    """A file's bytes and modification time (ns)."""
    return path.read_bytes(), path.stat().st_mtime_ns


def _one_line(err: str, *words: str) -> None:
    assert err.count("\n") == 1 and err.startswith("abm"), err
    assert "Traceback" not in err and all(w in err for w in words), err


# --------------------------------------------------- item 5: abm calibrate, all or nothing


def test_each_slice_names_the_calibration_file_its_catalogue_reads() -> None:
    assert GERMANY.calibration_file is not None and SOVIET.calibration_file is not None
    assert GERMANY.calibration_file.name == GERMANY_CALIBRATION
    assert SOVIET.calibration_file.name == SOVIET_CALIBRATION
    assert GERMANY.calibration_file.is_file() and SOVIET.calibration_file.is_file()


@pytest.fixture()
def fake_slices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The model's slices with calibration files in ``tmp_path`` (copies of the real ones):
    the first slice's entry writes its file; the second one's fails."""
    defs = registry.slice_defs("interwar")
    files = {d.name: tmp_path / f"{d.name}_calibration.yaml" for d in defs}
    for d in defs:
        assert d.calibration_file is not None
        files[d.name].write_bytes(d.calibration_file.read_bytes())
    seen: list[str] = []

    def writes(name: str) -> Any:
        def fit(base: Any) -> list[str]:
            seen.append(name)
            files[name].write_text("priors: {}\n# a new fit\n", encoding="utf-8")
            return [f"{name}: wrote"]

        return fit

    def fails(base: Any) -> list[str]:
        seen.append("fails")
        raise RuntimeError("the fit diverged")

    first, second = defs[0], defs[1]
    fake = (
        dataclasses.replace(
            first, calibrate=writes(first.name), calibration_file=files[first.name]
        ),
        dataclasses.replace(second, calibrate=fails, calibration_file=files[second.name]),
        *defs[2:],
    )
    monkeypatch.setattr(registry, "slice_defs", lambda name="interwar": fake)
    return {"files": files, "seen": seen, "first": first.name, "second": second.name}


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_failed_calibration_restores_every_calibration_file(
    fake_slices: dict[str, Any], monkeypatch: pytest.MonkeyPatch, error: type[BaseException]
) -> None:
    files: dict[str, Path] = fake_slices["files"]
    if error is KeyboardInterrupt:

        def interrupted(base: Any) -> list[str]:
            fake_slices["seen"].append("fails")
            raise KeyboardInterrupt

        defs = registry.slice_defs("interwar")
        fake = (defs[0], dataclasses.replace(defs[1], calibrate=interrupted), *defs[2:])
        monkeypatch.setattr(registry, "slice_defs", lambda name="interwar": fake)
    before = {name: _state(f) for name, f in files.items()}
    with pytest.raises(error):
        calibration.calibrate(OTL, coverage_runs=0, say=lambda line: None)
    # the first slice did write its file, the second failed: both are as they were
    assert fake_slices["seen"] == [fake_slices["first"], "fails"]
    assert {name: _state(f) for name, f in files.items()} == before
    assert not [p.name for p in files[fake_slices["first"]].parent.iterdir() if p.name[0] == "."]


def test_a_finished_calibration_keeps_what_it_wrote(fake_slices: dict[str, Any]) -> None:
    files: dict[str, Path] = fake_slices["files"]
    defs = registry.slice_defs("interwar")
    ok = (defs[0], dataclasses.replace(defs[1], calibrate=lambda base: ["soviet: ok"]))
    registry_defs = registry.slice_defs
    try:
        registry.slice_defs = lambda name="interwar": ok  # type: ignore[assignment]
        assert calibration.calibrate(OTL, coverage_runs=0, say=lambda line: None) == []
    finally:
        registry.slice_defs = registry_defs  # type: ignore[assignment]
    assert "# a new fit" in files[fake_slices["first"]].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "argv",
    [
        ["calibrate", "--config", "nope.yaml"],
        ["calibrate", "--coverage-runs", "-5"],
        ["calibrate", "--report", "/no/such/folder/coverage.md"],
    ],
)
def test_calibrate_with_bad_arguments_exits_2_and_touches_no_calibration_file(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(base: Any) -> list[str]:
        raise AssertionError("calibrated with bad arguments")

    real = registry.slice_defs("interwar")
    monkeypatch.setattr(
        registry,
        "slice_defs",
        lambda name="interwar": tuple(dataclasses.replace(d, calibrate=never) for d in real),
    )
    files = [GERMANY.calibration_file, SOVIET.calibration_file]
    before = [_state(f) for f in files if f is not None]
    assert main(["-q", *argv]) == 2
    err = capsys.readouterr().err  # argparse's refusals come after its usage lines
    _one_line(err.splitlines()[-1] + "\n", "error")
    assert [_state(f) for f in files if f is not None] == before
