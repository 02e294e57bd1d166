"""atomic_write: a file appears whole or not at all; folder_lock: writers take turns."""

from __future__ import annotations

import threading
import time

import pytest

from helpers.files import atomic_write, folder_lock


def test_bytes_text_and_a_writer_each_land_whole(tmp_path):
    target = tmp_path / "out.bin"
    assert atomic_write(target, b"\x00\x01") == target and target.read_bytes() == b"\x00\x01"
    atomic_write(target, "héllo")
    assert target.read_text("utf-8") == "héllo"
    atomic_write(target, lambda tmp: tmp.write_bytes(b"from a writer"), fsync=True)
    assert target.read_bytes() == b"from a writer"
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("old")

    def broken(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        atomic_write(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_mode_is_applied(tmp_path):
    target = atomic_write(tmp_path / "secret", b"s", mode=0o600)
    assert target.stat().st_mode & 0o777 == 0o600


def test_folder_lock_lets_one_holder_in_at_a_time_and_leaves_no_file(tmp_path):
    inside: list[int] = []
    most: list[int] = []

    def hold() -> None:
        with folder_lock(tmp_path):
            inside.append(1)
            most.append(len(inside))
            time.sleep(0.05)
            inside.pop()

    threads = [threading.Thread(target=hold) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most == [1, 1, 1, 1]
    assert list(tmp_path.iterdir()) == []  # the lock is on the folder itself, no lock file
    with pytest.raises(RuntimeError), folder_lock(tmp_path):
        raise RuntimeError("an error inside")
    with folder_lock(tmp_path):  # and it was released
        pass
