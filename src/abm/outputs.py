"""What abm may replace: recognising its own outputs, refusing everything else.

The rule. An output path that exists is replaced only with ``--overwrite``
(``overwrite=True``), and even then only if abm wrote it:

* a directory only if it is a Zarr store of abm's (its group's ``schema`` attribute is
  ``abm-cube``, a scenario cube or a sweep store, or ``abm-trace``, a trace), or empty; a
  sweep's store is marked as abm's by the very first write of its template
  (:func:`abm.sweep.store.create`), so one cut off while being written is still abm's;
* a netCDF file only if its global ``schema`` attribute is abm's;
* a CSV table or an HTML report only if it is a regular file (a directory, a device or a
  socket never).

Anything else is refused with an :class:`~abm.errors.InputError` naming the path and why.
Reading the marks needs neither Zarr nor JAX: a store's group metadata is its
``zarr.json``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from abm.errors import InputError, OutputExistsError

#: The ``schema`` attribute of each kind of store abm writes.
SCHEMAS = {"abm-cube": "cube", "abm-trace": "trace"}
#: Attributes only a sweep's store has (its template's first write carries them).
SWEEP_MARKS = ("store_uid", "template_incomplete")
#: What ``--overwrite`` replaces, for the messages.
RULE = (
    "--overwrite replaces only a cube, trace or sweep store written by abm; delete it "
    "yourself or choose another path"
)


def store_attrs(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The group attributes of the Zarr v3 store at ``path``, or None if it is not one."""
    meta = Path(path) / "zarr.json"
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("zarr_format") != 3:
        return None
    if data.get("node_type") != "group":
        return None
    attrs = data.get("attributes", {})
    return attrs if isinstance(attrs, dict) else None


def store_kind(path: str | os.PathLike[str]) -> str | None:
    """``"sweep"``, ``"cube"`` or ``"trace"`` for a store abm wrote, else None.

    A sweep store is an ``abm-cube`` store with a sweep's marks (:data:`SWEEP_MARKS`) or
    a ``points_done`` array.
    """
    attrs = store_attrs(path)
    if attrs is None:
        return None
    kind = SCHEMAS.get(str(attrs.get("schema")))
    if kind == "cube" and (
        any(k in attrs for k in SWEEP_MARKS) or (Path(path) / "points_done").is_dir()
    ):
        return "sweep"
    return kind


def _not_abm(path: Path) -> str:
    """Why the existing ``path`` is not an output of abm's (for the messages)."""
    if path.is_symlink():
        return "a symbolic link"
    if not path.is_dir():
        return "a file, not a store"
    attrs = store_attrs(path)
    if attrs is None:
        return "a directory that is not a Zarr store written by abm (no readable zarr.json)"
    schema = attrs.get("schema")
    return f"a Zarr store whose schema attribute is {schema!r}, not one of abm's"


def foreign_reason(path: str | os.PathLike[str]) -> str | None:
    """Why abm would never replace ``path``; None if it is absent, empty or abm's store."""
    p = Path(path)
    if not os.path.lexists(p):
        return None
    if p.is_dir() and not p.is_symlink():
        if store_kind(p) is not None:
            return None
        try:
            if not any(p.iterdir()):
                return None
        except OSError as exc:
            return f"an unreadable directory ({exc.strerror or exc})"
    return _not_abm(p)


#: Characters abm adds to an output's name for the files beside it (``.NAME.lock``,
#: ``.NAME.tmp-<32 hex digits>``), which must fit the file system's name limit too.
NAME_RESERVE = 40


def check_name(path: str | os.PathLike[str], option: str = "--out") -> None:
    """Refuse a path the file system cannot hold, before anything is simulated.

    Every component must fit the file system's name limit (``NAME_MAX``, usually 255
    bytes), the last one with :data:`NAME_RESERVE` to spare for abm's lock and temporary
    files beside it, and the whole path ``PATH_MAX``.

    Raises:
        InputError: naming the option, the component's length and the limit.
    """
    p = Path(os.path.abspath(path))
    probe = next((a for a in (p, *p.parents) if os.path.isdir(a)), Path("/"))
    try:
        name_max = os.pathconf(probe, "PC_NAME_MAX")
        path_max = os.pathconf(probe, "PC_PATH_MAX")
    except (OSError, ValueError):
        name_max, path_max = 255, 4096
    shown = str(path) if len(str(path)) <= 60 else f"{str(path)[:57]}..."
    if len(os.fsencode(p)) >= path_max:
        raise InputError(
            f"{option} {shown}: the path is {len(os.fsencode(p))} bytes long; allowed: "
            f"under {path_max} bytes"
        )
    for i, part in enumerate(p.parts[1:], 1):
        size, last = len(os.fsencode(part)), i == len(p.parts) - 1
        most = name_max - NAME_RESERVE if last else name_max
        if size > most:
            raise InputError(
                f"{option} {shown}: a file name of {size} bytes is too long; allowed: at "
                f"most {most} bytes (the file system's {name_max}"
                + (f" less {NAME_RESERVE} for abm's lock and temporary files)" if last else ")")
            )


def check_store_target(
    path: str | os.PathLike[str], overwrite: bool, option: str = "--out"
) -> str | None:
    """Refuse ``path`` as a store's destination unless it is absent or abm's to replace.

    Args:
        path: where a cube or trace store will be written.
        overwrite: ``--overwrite`` was given.
        option: the option that named it (for the message).

    Returns:
        None if ``path`` does not exist, else what it is (``"cube"``, ``"trace"``,
        ``"sweep"`` or ``"empty"``), to be replaced.

    Raises:
        OutputExistsError: if ``path`` exists and ``overwrite`` is False.
        InputError: if ``path`` exists and is not abm's (with ``overwrite`` or not).
    """
    check_name(path, option)
    p = Path(path)
    if not os.path.lexists(p):
        return None
    why = foreign_reason(p)
    if why is not None:
        raise InputError(f"{option} {p} exists and is {why}; abm never replaces it: {RULE}")
    if not overwrite:
        raise OutputExistsError(
            f"{option} {p} exists; pass --overwrite (overwrite=True) to replace it"
        )
    return store_kind(p) or "empty"


def is_abm_netcdf(path: Path) -> bool:
    """Whether ``path`` is a netCDF-4 file whose global ``schema`` attribute is abm's."""
    try:
        import h5netcdf

        with h5netcdf.File(path, "r") as nc:
            schema = nc.attrs.get("schema")
    except Exception:  # not HDF5, unreadable: not one of abm's
        return False
    if isinstance(schema, bytes):
        schema = schema.decode("utf-8", "replace")
    return str(schema) in SCHEMAS


def check_file_target(
    path: str | os.PathLike[str],
    overwrite: bool,
    option: str,
    ours: Callable[[Path], bool] | None = None,
    what: str = "file",
) -> None:
    """Refuse ``path`` as a single file's destination unless absent or abm's to replace.

    Args:
        path: the file to be written.
        overwrite: ``--overwrite`` was given.
        option: the option that named it (for the message).
        ours: recognises a file abm wrote (e.g. :func:`is_abm_netcdf`); None: any
            regular file.
        what: what abm writes there, for the message (``"netCDF file of an abm cube"``).

    Raises:
        InputError: if ``path`` is a directory or not a regular file, or (with
            ``overwrite``) not recognised by ``ours``.
        OutputExistsError: if ``path`` exists and ``overwrite`` is False.
    """
    check_name(path, option)
    p = Path(path)
    if not os.path.lexists(p):
        return
    if p.is_dir():
        raise InputError(f"{option} {p} is a directory; name a file")
    if not p.is_file() or p.is_symlink():
        raise InputError(f"{option} {p} exists and is not a regular file; abm never replaces it")
    if not overwrite:
        raise OutputExistsError(
            f"{option} {p} exists; pass --overwrite (overwrite=True) to replace it"
        )
    if ours is not None and not ours(p):
        raise InputError(
            f"{option} {p} exists and is not a {what} written by abm; abm never replaces "
            "it, with --overwrite or not: delete it yourself or choose another path"
        )


def write_file(
    path: str | os.PathLike[str],
    write: Callable[[Path], None],
    overwrite: bool,
    option: str,
) -> Path:
    """Write a file atomically under its lock: ``write`` fills a hidden sibling, renamed.

    Args:
        path: the file; missing parents are created.
        write: writes the content to the path it is given.
        overwrite: replace an existing regular file.
        option: the option that named it (for the messages).

    Returns:
        The path.

    Raises:
        InputError: as :func:`check_file_target`, or if it cannot be written.
    """
    import uuid

    from abm.locks import StoreLock

    p = Path(path)
    check_file_target(p, overwrite, option)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        with StoreLock(p):
            check_file_target(p, overwrite, option)
            tmp = p.parent / f".{p.name}.tmp-{uuid.uuid4().hex}"
            try:
                write(tmp)
                os.replace(tmp, p)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
    except OSError as exc:
        raise InputError(f"{option} {p}: cannot write: {exc.strerror or exc}") from exc
    return p


def write_text(
    path: str | os.PathLike[str], text: str, overwrite: bool, option: str, newline: str = ""
) -> Path:
    """Write a text file atomically under its lock (:func:`write_file`).

    Args:
        path: the file; missing parents are created.
        text: its content.
        overwrite: replace an existing regular file.
        option: the option that named it (for the messages).
        newline: passed to :func:`open` (``""``: written as given).
    """

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline=newline) as fh:
            fh.write(text)

    return write_file(path, write, overwrite, option)


__all__ = [
    "RULE",
    "SCHEMAS",
    "SWEEP_MARKS",
    "check_file_target",
    "check_store_target",
    "foreign_reason",
    "is_abm_netcdf",
    "store_attrs",
    "store_kind",
    "write_file",
    "write_text",
]
