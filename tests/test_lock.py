"""The writer lock every abm writer takes (abm.locks): exclusive, atomic, never stale.

No JAX here: the lock is standard library only, and every process below is a bare
Python that imports ``abm.locks`` alone (:class:`abm.sweep.SweepLock` is its subclass).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from abm.errors import InputError
from abm.locks import LockedError, StoreLock, check_unlocked, lock_path
from abm.sweep.store import SweepError, SweepLock

#: Concurrent takers and rounds each (the issue's 300 trials, 103 of them doubled).
TAKERS = 20
ROUNDS = 15

#: One taker: each round a forked child takes the store's lock (retrying while it is
#: held), proves it alone holds it (an exclusive create of a marker file), then either
#: releases it or dies holding it (``os._exit``: a ``kill -9`` as far as the lock goes),
#: leaving its lock file behind for the next taker to take over.
TAKER = textwrap.dedent(
    """
    import os, random, sys, time
    from abm.errors import InputError
    from abm.locks import StoreLock

    out, marker, rounds, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    random.seed(seed)
    failures = 0
    for _ in range(rounds):
        pid = os.fork()
        if pid == 0:
            lock = StoreLock(out, what="sweep")  # as SweepLock, without importing Zarr
            deadline = time.monotonic() + 60
            while True:
                try:
                    lock.acquire()
                    break
                except InputError:
                    if time.monotonic() > deadline:
                        os._exit(4)  # never got it: a lock that blocks forever
                    time.sleep(random.random() * 0.003)
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                os._exit(3)  # another process holds the lock too
            time.sleep(random.random() * 0.002)
            os.close(fd)
            os.unlink(marker)
            if random.random() < 0.3:
                os._exit(0)  # dies holding the lock: its file stays behind
            lock.release()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        failures += os.waitstatus_to_exitcode(status) != 0
    print(failures)
    """
)


def test_many_concurrent_takers_never_share_the_lock(tmp_path: Path) -> None:
    """20 processes x 15 rounds take one store's lock, a third of the holders dying with
    it: never two holders at once (the stale-lock takeover was racy: 103 of 300), and
    no taker waits forever for a dead holder's lock."""
    out = tmp_path / "store.zarr"
    marker = tmp_path / "holder"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", TAKER, str(out), str(marker), str(ROUNDS), str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(TAKERS)
    ]
    failures = 0
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
        failures += int(stdout.strip())
    assert failures == 0, f"{failures} of {TAKERS * ROUNDS} rounds held the lock with another"
    assert not marker.exists()


@pytest.mark.parametrize("content", ["", "garbage {", '{"pid": null, "host": null}'])
def test_an_empty_or_garbage_lock_file_blocks_nothing(tmp_path: Path, content: str) -> None:
    """A writer killed between creating its lock file and writing it leaves an empty
    file (or garbage): the next writer takes the lock (it used to be refused forever,
    "pid None on host None")."""
    out = tmp_path / "store.zarr"
    lock_path(out).write_text(content, encoding="utf-8")
    with SweepLock(out) as lock:
        assert lock.holder()["pid"] == os.getpid()
    assert not lock_path(out).exists()


def test_a_dead_holders_lock_is_taken_over(tmp_path: Path) -> None:
    """A process killed while holding the lock: the OS let go of it, its file names it."""
    out = tmp_path / "store.zarr"
    code = (
        "import os, sys; from abm.locks import StoreLock; "
        "StoreLock(sys.argv[1]).acquire(); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code, str(out)], check=True)
    assert lock_path(out).exists()  # left behind, not held
    check_unlocked(out)
    with SweepLock(out) as lock:
        assert lock.holder()["pid"] == os.getpid()


def test_a_held_lock_refuses_every_writer_and_names_its_holder(tmp_path: Path) -> None:
    out = tmp_path / "store.zarr"
    with SweepLock(out):
        with pytest.raises(SweepError, match=rf"another sweep \(pid {os.getpid()} on host"):
            SweepLock(out).acquire()
        with pytest.raises(LockedError, match="being written by another sweep"):
            StoreLock(out).acquire()  # the lock write_cube takes
        with pytest.raises(LockedError, match=str(lock_path(out))):
            check_unlocked(out)
    check_unlocked(out)  # released
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_lock_file_lives_beside_the_output_not_inside(tmp_path: Path) -> None:
    """``.NAME.lock`` in the output's directory: a cube renamed into place and a sweep
    written in place honour the same file."""
    out = tmp_path / "sub" / "cube.zarr"
    assert lock_path(out) == tmp_path / "sub" / ".cube.zarr.lock"
    assert lock_path(tmp_path / "sub" / "cube.zarr" / "") == lock_path(out)
    with StoreLock(out) as lock:
        assert lock.path.exists() and not out.exists()
    with pytest.raises(InputError, match="root"):
        lock_path("/")


def test_a_lock_in_a_read_only_directory_is_a_clear_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(InputError, match="cannot create its lock file"):
            StoreLock(ro / "cube.zarr").acquire()
    finally:
        ro.chmod(0o755)
