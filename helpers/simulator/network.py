"""A party's audio as the platform hears it through a bad network: jitter buffer and concealment.

A callee script with `{"network": {"jitter_ms": 80, "loss": 0.05}}` (helpers/callees.py) makes
the engine give that party's speech as `NetworkSound`s; `audio.render_block` renders those
through `degrade` instead of plainly. What happens to them, all lab assumptions
(helpers/assumptions.py, labels JITTER_BUFFER_MS and PLC_SILENT_AFTER_MS):

- the audio travels in NETWORK_PACKET_MS (20 ms) packets, numbered on the call's clock;
- each packet is lost with probability `loss`, and gets an extra delay drawn from an
  exponential distribution with mean `jitter_ms`; a packet delayed more than the jitter
  buffer's JITTER_BUFFER_MS arrives after its slot was played and is dropped as late;
- a dropped packet is concealed: the last packet that arrived is played again, at full level
  for PLC_FULL_MS, then fading linearly to silence PLC_SILENT_AFTER_MS after the loss began
  (the shape of G.711 Appendix I's concealment). So a single lost packet is a repeat that is
  hard to hear, and a run of three or more becomes a gap: the choppy audio customers report.

Every packet's fate is a hash of (seed, packet number), so a recording is the same however it
is cut into blocks, and the same script on the same call gives the same dropouts (the seed is
the party's name and leg). DTMF tones are not degraded (RFC 4733 sends them as events, not
audio). A repeat never reaches back before the start of the sound being played.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..assumptions import (
    JITTER_BUFFER_MS,
    NETWORK_PACKET_MS,
    PLC_FULL_MS,
    PLC_SILENT_AFTER_MS,
)
from ..network_conditions import NetworkConditions
from . import audio, voices

PACKET = NETWORK_PACKET_MS / 1000.0
#: packets a concealment can reach back: after this many dropped in a row there is silence
LOOK_BACK = math.ceil(PLC_SILENT_AFTER_MS / NETWORK_PACKET_MS)
_LOST_SALT, _DELAY_SALT = 101, 102


def fates(conditions: NetworkConditions, seed: int,
          packets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lost, late, extra delay in ms) of each packet number: a pure function of the seed."""
    lost = voices.unit(seed, packets, _LOST_SALT) < conditions.loss
    delay = -conditions.jitter_ms * np.log1p(-voices.unit(seed, packets, _DELAY_SALT))
    return lost, delay > JITTER_BUFFER_MS, delay


def _runs(dropped: np.ndarray) -> np.ndarray:
    """For each packet: how many packets in a row were dropped up to it (0: it arrived),
    counting at most LOOK_BACK + 1 (anything longer is silence anyway)."""
    runs = dropped.astype(np.int64)
    streak = dropped.copy()
    for back in range(1, LOOK_BACK + 1):
        earlier = np.zeros_like(dropped)
        earlier[back:] = dropped[:-back]
        streak &= earlier
        runs += streak
    return runs


def _packets_around(conditions: NetworkConditions, seed: int, first: int,
                    last: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Packets first..last with LOOK_BACK before them: (numbers, dropped, runs)."""
    numbers = np.arange(first - LOOK_BACK, last + 1, dtype=np.int64)
    lost, late, _ = fates(conditions, seed, numbers)
    dropped = lost | late
    return numbers, dropped, _runs(dropped)


def concealment(conditions: NetworkConditions, seed: int,
                t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For call times `t` (s): how far back the audio heard instead lies (0 for a packet that
    arrived, one packet or more for a repeat), and at what gain."""
    k = np.floor(t / PACKET + 1e-9).astype(np.int64)
    numbers, _dropped, runs = _packets_around(conditions, seed, int(k.min()), int(k.max()))
    m = runs[k - numbers[0]]
    since_loss_ms = ((m - 1) * PACKET + (t - k * PACKET)) * 1000.0
    fade = 1.0 - (since_loss_ms - PLC_FULL_MS) / (PLC_SILENT_AFTER_MS - PLC_FULL_MS)
    gain = np.where(m == 0, 1.0, np.clip(fade, 0.0, 1.0))
    gain[(m > LOOK_BACK) | (since_loss_ms >= PLC_SILENT_AFTER_MS - 1e-6)] = 0.0
    return m * PACKET, gain


def degrade(sound: NetworkSound, tr: np.ndarray) -> np.ndarray:
    """The sound's samples at `tr` (seconds since its content began) as the buffer plays them."""
    if tr.size == 0:
        return np.zeros(0)
    origin = sound.start if sound.origin is None else sound.origin
    back, gain = concealment(sound.network, sound.network_seed, origin + tr)
    heard_at = tr - back  # exactly `tr` where the packet arrived
    usable = (gain > 0) & (origin + heard_at >= sound.start - 1e-9) & \
        (origin + heard_at < sound.end)
    out = np.zeros(tr.shape)
    if usable.any():
        wanted = heard_at[usable]
        order = np.argsort(wanted, kind="stable")  # the voice synthesiser wants time order
        samples = np.empty(wanted.shape)
        samples[order] = audio._tone(sound, wanted[order])
        out[usable] = gain[usable] * samples
    return out


@dataclass(frozen=True)
class NetworkSound(audio.Sound):
    """A party's sound that reaches the platform through `network` (render_block's hook)."""

    network: NetworkConditions = NetworkConditions()
    network_seed: int = 0

    heard = staticmethod(degrade)  # audio.render_block: getattr(sound, "heard", _tone)


def report(conditions: NetworkConditions, seed: int, start: float, end: float,
           speech: list[tuple[float, float]] = ()) -> dict:
    """What the jitter buffer did to one party's packets in [start, end) (call seconds):
    packets, lost, late, dropped (lost or late), concealed (a repeat was played), silenced
    (a gap), dropped while the party spoke, and the jitter a receiver would measure (RFC 3550:
    the mean difference in delay between consecutive packets that arrived)."""
    first, last = math.ceil(start / PACKET - 1e-9), math.ceil(end / PACKET - 1e-9) - 1
    if last < first:
        return {"packets": 0, "lost": 0, "late": 0, "dropped": 0, "concealed": 0,
                "silenced": 0, "dropped_in_speech": 0, "measured_jitter_ms": 0.0}
    numbers, dropped, runs = _packets_around(conditions, seed, first, last)
    lost, late, delay = fates(conditions, seed, numbers)
    inside = numbers >= first
    slot = numbers[inside] * PACKET
    talking = np.zeros(slot.shape, dtype=bool)
    for a, b in speech:
        talking |= (slot < b) & (slot + PACKET > a)
    arrived = ~lost[inside]
    steps = np.abs(np.diff(delay[inside]))[arrived[1:] & arrived[:-1]]
    gone, run = dropped[inside], runs[inside]
    return {"packets": int(inside.sum()), "lost": int(lost[inside].sum()),
            "late": int((late & ~lost)[inside].sum()), "dropped": int(gone.sum()),
            "concealed": int((gone & (run <= LOOK_BACK)).sum()),
            "silenced": int((gone & (run > LOOK_BACK)).sum()),
            "dropped_in_speech": int((gone & talking).sum()),
            "measured_jitter_ms": round(float(steps.mean()), 1) if steps.size else 0.0}
