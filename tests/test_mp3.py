"""MP3 recordings encoded in parallel blocks: spliced frames decode as one encode would."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from helpers.assumptions import MP3_BITRATE_KBPS, SAMPLE_RATE
from helpers.simulator import mp3
from helpers.simulator.audio import Sound, channel_map, encode_recording, render_block

needs_lame = pytest.mark.skipif(not mp3.available(), reason="libmp3lame is not installed")
SOUNDS = [Sound(0, "speech", 0.3, 9.0, seed=4), Sound(1, "music", 2.0, 10.0, seed=5),
          Sound(1, "beep", 6.1, 6.6)]


def encode(seconds: float, channels: int, block_frames: int, threads: int) -> bytes:
    chan = channel_map(channels > 1, channels if channels > 1 else None)

    def render(first: int, n: int) -> np.ndarray:
        return render_block(SOUNDS, first / SAMPLE_RATE, n, channels, chan)

    out = io.BytesIO()
    frames = mp3.encode_blocks(render, round(seconds * SAMPLE_RATE), channels, out,
                               SAMPLE_RATE, MP3_BITRATE_KBPS, block_frames, threads)
    assert len(mp3.frame_offsets(out.getvalue())) - 1 == frames
    return out.getvalue()


@needs_lame
def test_blocks_splice_into_exactly_one_encode():
    # Each block's encoder hears WARMUP_FRAMES before its own frames and the bit reservoir
    # is off, so the spliced frames are byte for byte those of one encoder over the call.
    one = encode(10.0, 1, block_frames=10**6, threads=1)
    spliced = encode(10.0, 1, block_frames=23, threads=3)
    assert spliced == one
    assert set(np.diff(mp3.frame_offsets(one))) == {72000 * MP3_BITRATE_KBPS // SAMPLE_RATE}


@needs_lame
def test_the_bytes_do_not_depend_on_the_threads():
    assert encode(7.3, 2, 17, threads=1) == encode(7.3, 2, 17, threads=4)


@needs_lame
@pytest.mark.parametrize("split", [False, True])
def test_a_file_of_many_blocks_decodes_gap_free_and_exact(tmp_path, split):
    path = tmp_path / "blocks.mp3"
    start, end = 0.25, 10.0
    encode_recording(SOUNDS, start, end, "mp3", split, None, path, block_seconds=0.4)
    decoded = sf.read(path, dtype="float32", always_2d=True)[0]
    n = round((end - start) * SAMPLE_RATE)
    assert decoded.shape[0] == n
    direct = render_block(SOUNDS, start, n, decoded.shape[1], channel_map(split, None))
    block = round(0.4 * SAMPLE_RATE / mp3.FRAME_SAMPLES) * mp3.FRAME_SAMPLES
    for c in range(decoded.shape[1]):
        assert np.corrcoef(decoded[:, c], direct[:, c])[0, 1] > 0.99
        for edge in range(block, n - 400, block):  # no click or gap where blocks meet
            near = slice(edge - 400, edge + 400)
            if np.abs(direct[near, c]).max() > 0.05:
                error = decoded[near, c] - direct[near, c]
                assert np.sqrt(np.mean(error**2)) < 0.25 * np.sqrt(np.mean(direct[near, c]**2))


@needs_lame
def test_the_libsndfile_fallback_sounds_the_same(tmp_path, monkeypatch):
    fast = tmp_path / "fast.mp3"
    encode_recording(SOUNDS, 0, 10, "mp3", False, None, fast)
    monkeypatch.setitem(mp3._library, "lib", None)  # as where libmp3lame is missing
    assert not mp3.available()
    slow = tmp_path / "slow.mp3"
    encode_recording(SOUNDS, 0, 10, "mp3", False, None, slow)
    a, b = sf.read(fast)[0], sf.read(slow)[0]
    assert a.shape == b.shape == (10 * SAMPLE_RATE,)
    assert np.corrcoef(a, b)[0, 1] > 0.99
    assert abs(fast.stat().st_size - slow.stat().st_size) <= 144


def test_frame_offsets_reject_what_is_not_whole_frames():
    header = bytes([0xFF, 0xF3, 0x48, 0xC4])  # MPEG-2 layer III, 32 kbit/s, 16 kHz, mono
    frame = header + bytes(140)
    assert mp3.frame_offsets(frame * 3) == [0, 144, 288, 432]
    with pytest.raises(ValueError, match="partial frame"):
        mp3.frame_offsets(frame * 2 + frame[:100])
    with pytest.raises(ValueError, match="no MPEG-2 layer III frame at byte 144"):
        mp3.frame_offsets(frame + bytes(144))


def test_frame_offsets_walk_frames_of_different_sizes():
    # 22.05 kHz at 32 kbit/s: 104-byte frames, 105 with the padding bit. Headers that are not
    # all the same take the frame-by-frame walk, not the constant-size shortcut.
    plain, padded = (bytes([0xFF, 0xF3, 0x40 | pad << 1, 0xC4]) + bytes(100 + pad)
                     for pad in (0, 1))
    assert mp3.frame_offsets(plain * 2 + padded + plain) == [0, 104, 208, 313, 417]
    assert mp3.frame_offsets(padded * 3) == [0, 105, 210, 315]
    with pytest.raises(ValueError, match="no MPEG-2 layer III frame at byte 104"):
        mp3.frame_offsets(plain + bytes(104))
