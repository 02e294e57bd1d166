"""atomic_write: a file appears whole or not at all."""

from __future__ import annotations

import pytest

from helpers.files import atomic_write


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
