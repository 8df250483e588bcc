"""The exception that means "the user's input is wrong", as opposed to a bug.

Every error that a user can cause and fix (a scenario, sweep or service file, an
override, a command-line value, an output path that exists, a cube that is not one)
derives from :class:`InputError`; the ``abm`` command reports it in one line and exits
with status 2. Any other exception reaching the command is a bug in ``abm`` and exits
with status 1 (with its traceback).

This module imports nothing, so that every package may derive its errors from it.
"""

from __future__ import annotations


class InputError(Exception):
    """The user's input is wrong: the message names the file, field, value and what is allowed.

    Subclasses: :class:`abm.config.ConfigError`, :class:`abm.cube.CubeError`,
    :class:`abm.sweep.SweepError`, :class:`abm.service.serve.ServiceError` and
    :class:`OutputExistsError`.
    """


class OutputExistsError(InputError, FileExistsError):
    """A result would replace an existing file or directory without ``--overwrite``."""


__all__ = ["InputError", "OutputExistsError"]
