"""The ``abm`` command: run, compare, trace, calibrate, sweep, serve, info, bench, report.

Exit status:

* 0: done.
* 2: the input is wrong (:class:`abm.errors.InputError`, or a command-line value argparse
  refuses): one line on stderr names the file, the field, the value and what is allowed.
  Nothing is simulated or written.
* 3: the operating system refused a read or write (a full disk, an I/O error, a
  permission): one line names the path and the system's reason; ``-v`` adds the
  traceback. A cube is written whole or not at all (:func:`abm.cube.write_cube`), a
  sweep store stays resumable.
* 130: interrupted (Ctrl-C): one line; outputs are left whole or not at all.
* 1: anything else is a bug in ``abm``: one line on stderr says so; ``-v`` adds the
  traceback.

Modules: :mod:`~abm.cli.parser` (the argument parser and its value checks),
:mod:`~abm.cli.simulate` (run, compare, trace), :mod:`~abm.cli.sweeps` (sweep, serve),
:mod:`~abm.cli.calibrate`, :mod:`~abm.cli.tools` (bench, info, report). A command's
module is imported only when it runs; ``report`` never imports the engine or JAX.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from abm.cli.parser import build_parser
from abm.errors import InputError

log = logging.getLogger("abm")

EXIT_OK = 0
EXIT_BUG = 1
EXIT_BAD_INPUT = 2
EXIT_SYSTEM = 3
EXIT_INTERRUPTED = 130

#: Each command's function, as ``module:function`` (imported when the command runs).
COMMANDS: dict[str, str] = {
    "run": "abm.cli.simulate:run",
    "compare": "abm.cli.simulate:compare",
    "trace": "abm.cli.simulate:trace",
    "calibrate": "abm.cli.calibrate:calibrate",
    "sweep": "abm.cli.sweeps:sweep",
    "serve": "abm.cli.sweeps:serve",
    "info": "abm.cli.tools:info",
    "bench": "abm.cli.tools:bench",
    "report": "abm.cli.tools:report",
    "worlds": "abm.cli.worlds:worlds",
    "validate": "abm.cli.tools:validate",
}
#: Commands that read stored results only: JAX is neither configured nor imported.
WITHOUT_JAX = frozenset({"report", "validate"})
#: The environment variable with the default number of CPU devices (``--devices``).
CPU_DEVICES_ENV = "ABM_CPU_DEVICES"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``abm`` command; returns the exit status (see the module doc)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error, already printed (2)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    _logging(args)
    try:
        if args.command not in WITHOUT_JAX:
            _start_jax(args)
        return _command(args.command)(args)
    except InputError as exc:
        print(f"abm: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("abm: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:
        if args.verbose:
            traceback.print_exception(exc, file=sys.stderr)
        print(f"abm: error: {system_text(exc)}", file=sys.stderr)
        return EXIT_SYSTEM
    except Exception as exc:
        return _bug(exc, verbose=args.verbose)


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    """The function of command ``name`` (its module imported now)."""
    module, func = COMMANDS[name].split(":")
    fn: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), func)
    return fn


def _logging(args: argparse.Namespace) -> None:
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else (logging.WARNING if args.quiet else logging.INFO),
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("jax", "httpx", "httpcore", "distributed", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Prefect's temporary server (no PREFECT_API_URL) takes 15-20 s to start here; its
    # default 20 s timeout fails on a loaded machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def cpu_devices(flag: int | None) -> int | None:
    """CPU devices to expose: ``--devices``, else ``$ABM_CPU_DEVICES``, else None (JAX's 1).

    Raises:
        InputError: if ``$ABM_CPU_DEVICES`` is set but not an integer >= 1.
    """
    if flag is not None:
        return flag
    env = os.environ.get(CPU_DEVICES_ENV, "").strip()
    if not env:
        return None
    if not env.isdigit() or int(env) < 1:
        raise InputError(
            f"${CPU_DEVICES_ENV}={env!r} is not a number of devices; allowed: an integer >= 1 "
            "(or unset: one device)"
        )
    return int(env)


def _start_jax(args: argparse.Namespace) -> None:
    """Set JAX's CPU device count and compilation cache before its backend starts."""
    n = cpu_devices(args.devices)
    from abm.engine.devices import configure_cpu_devices, enable_compilation_cache

    configure_cpu_devices(n)
    enable_compilation_cache()


def system_text(exc: OSError) -> str:
    """One line for an error of the operating system: the path (if any) and the reason."""
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    text = exc.strerror or str(exc) or type(exc).__name__
    return " ".join(str(text).split())


def _bug(exc: Exception, *, verbose: bool) -> int:
    """Report an unexpected exception as a bug in abm: one line, the traceback under -v."""
    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    print(
        f"abm: internal error (a bug in abm, not a problem with the input): "
        f"{type(exc).__name__}: {exc}" + ("" if verbose else "; run with -v for the traceback"),
        file=sys.stderr,
    )
    return EXIT_BUG


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BUG",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_SYSTEM",
    "build_parser",
    "cpu_devices",
    "main",
    "system_text",
]
