"""An ESTIMATED MOS from loss, jitter and delay: the ITU-T E-model (G.107), every other input at
its default.

Sources (quoted by equation number of ITU-T G.107 (06/2015), "The E-model: a computational
model for use in transmission planning", https://www.itu.int/rec/T-REC-G.107):
- R = Ro - Is - Id - Ie,eff + A (7-1), with Ro, Is and Id built from the Table 3 default
  values; with every default, R = 93.2 (§7.7) and MOS = 4.41 (Annex B);
- Id = Idte + Idle + Idd, the talker-echo, listener-echo and absolute-delay impairments
  (7-18 to 7-28); the one-way delay d sets T = Ta = d and the round trip Tr = 2d;
- Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl) (7-29), Ppl in percent, BurstR = 1
  (random loss, as the simulator's losses are);
- MOS = 1 + 0.035 R + R (R - 60)(100 - R) 7e-6 for 0 < R < 100, 1 below, 4.5 above (B-4).
Codec values Ie and Bpl: ITU-T G.113 Appendix I (provisional planning values): G.711 has Ie 0,
and Bpl 4.3 without packet loss concealment, 25.1 with G.711 Appendix I's concealment (random
loss); G.729A with VAD Ie 11, Bpl 19.

How jitter enters (lab assumptions, helpers/assumptions.py): a jitter buffer of
JITTER_BUFFER_MS adds its depth to the one-way delay, and the packets it drops as late add to
the lost ones (network_conditions.dropped_fraction), exactly as the simulator degrades a
party's audio. This is a planning model's estimate, not a measurement of how a call sounded:
every text that shows it says "estimated".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .assumptions import JITTER_BUFFER_MS
from .network_conditions import check_value, dropped_fraction

#: ITU-T G.107 Table 3: the default value of every input the lab does not vary.
DEFAULTS = {"SLR": 8.0, "RLR": 2.0, "STMR": 15.0, "LSTR": 18.0, "Ds": 3.0, "TELR": 65.0,
            "WEPL": 110.0, "qdu": 1.0, "Nc": -70.0, "Nfor": -64.0, "Ps": 35.0, "Pr": 35.0,
            "A": 0.0, "mT": 100.0, "sT": 1.0}

#: ITU-T G.113 Appendix I: codec -> (Ie, Bpl, what it is).
CODECS: dict[str, tuple[float, float, str]] = {
    "g711_plc": (0.0, 25.1, "G.711 with packet loss concealment (G.711 Appendix I)"),
    "g711": (0.0, 4.3, "G.711 without packet loss concealment"),
    "g729a": (11.0, 19.0, "G.729A with VAD"),
}
DELAY_RANGE = (0.0, 1000.0)  # one-way delay in ms the estimate accepts

#: ITU-T G.109 Table 1 / G.107 Annex B: R ranges and what users think of them.
CATEGORIES = ((90.0, "best: very satisfied"), (80.0, "high: satisfied"),
              (70.0, "medium: some users dissatisfied"),
              (60.0, "low: many users dissatisfied"),
              (50.0, "poor: nearly all users dissatisfied"),
              (-math.inf, "not recommended"))


def _log(x: float) -> float:
    return math.log10(x)


def basic_terms() -> tuple[float, float, float, float]:
    """(Ro, Is, No, Ist) from the G.107 defaults (7-2 to 7-17): they do not depend on delay
    or loss except through T, which the lab keeps in the delay terms."""
    d = DEFAULTS
    olr = d["SLR"] + d["RLR"]
    pre = d["Pr"] + 10 * _log(1 + 10 ** ((10 - d["LSTR"]) / 10))  # (7-5)
    nor = d["RLR"] - 121 + pre + 0.008 * (pre - 35) ** 2  # (7-4)
    nos = d["Ps"] - d["SLR"] - d["Ds"] - 100 + 0.004 * (d["Ps"] - olr - d["Ds"] - 14) ** 2  # (7-6)
    nfo = d["Nfor"] + d["RLR"]  # (7-7)
    no = 10 * _log(sum(10 ** (n / 10) for n in (d["Nc"], nos, nor, nfo)))  # (7-3)
    ro = 15 - 1.5 * (d["SLR"] + no)  # (7-2)
    q = 37 - 15 * _log(d["qdu"])  # (7-15)
    g = 1.07 + 0.258 * q + 0.0602 * q * q  # (7-14)
    y, z = (ro - 100) / 15 + 46 / 8.4 - g / 9, 46 / 30 - g / 40  # (7-12), (7-13)
    iq = 15 * _log(1 + 10 ** y + 10 ** z)  # (7-11)
    xolr = olr + 0.2 * (64 + no - d["RLR"])  # (7-17)
    iolr = 20 * ((1 + (xolr / 8) ** 8) ** (1 / 8) - xolr / 8)  # (7-16)
    ist = _sidetone(0.0)
    return ro, iolr + ist + iq, no, ist  # (7-8)


def _sidetone(t: float) -> float:
    """Ist, the non-optimum sidetone impairment (7-9, 7-10)."""
    d = DEFAULTS
    stmro = -10 * _log(10 ** (-d["STMR"] / 10) + math.exp(-t / 4) * 10 ** (-d["TELR"] / 10))
    return (12 * (1 + ((stmro - 13) / 6) ** 8) ** (1 / 8)
            - 28 * (1 + ((stmro + 1) / 19.4) ** 35) ** (1 / 35)
            - 13 * (1 + ((stmro - 3) / 33) ** 13) ** (1 / 13) + 29)


def delay_impairment(delay_ms: float) -> float:
    """Id for a one-way mouth-to-ear delay (7-18 to 7-28), T = Ta = delay, Tr = 2 x delay."""
    d = DEFAULTS
    t, ta, tr = delay_ms, delay_ms, 2 * delay_ms
    ro, _is, no, ist = basic_terms()
    roe = -1.5 * (no - d["RLR"])  # (7-20)
    terv = d["TELR"] - 40 * _log((1 + t / 10) / (1 + t / 150)) + 6 * math.exp(-0.3 * t * t)
    if d["STMR"] < 9:  # (7-23)
        terv += ist / 2
    re = 80 + 2.5 * (terv - 14)  # (7-21)
    idte = ((roe - re) / 2 + math.sqrt((roe - re) ** 2 / 4 + 100) - 1) * (1 - math.exp(-t))
    if d["STMR"] > 20:  # (7-24)
        idte = math.sqrt(idte ** 2 + ist ** 2)
    rle = 10.5 * (d["WEPL"] + 7) * (tr + 1) ** -0.25  # (7-26)
    idle = (ro - rle) / 2 + math.sqrt((ro - rle) ** 2 / 4 + 169)  # (7-25)
    idd = 0.0
    if ta > d["mT"]:  # (7-27), (7-28)
        x, s = _log(ta / d["mT"]) / _log(2), 6 * d["sT"]
        idd = 25 * ((1 + x ** s) ** (1 / s) - 3 * (1 + (x / 3) ** s) ** (1 / s) + 2)
    return idte + idle + idd


def effective_equipment_impairment(loss_percent: float, codec: str = "g711_plc",
                                   burst_ratio: float = 1.0) -> float:
    """Ie,eff (7-29): the codec's impairment raised by `loss_percent` % of packets missing."""
    ie, bpl, _ = CODECS[codec]
    return ie + (95 - ie) * loss_percent / (loss_percent / burst_ratio + bpl)


def r_factor(delay_ms: float = 0.0, loss_percent: float = 0.0, codec: str = "g711_plc") -> float:
    """The transmission rating R (7-1) of a connection: every other input at its default."""
    ro, is_, _no, _ist = basic_terms()
    return (ro - is_ - delay_impairment(delay_ms)
            - effective_equipment_impairment(loss_percent, codec) + DEFAULTS["A"])


def mos_from_r(r: float) -> float:
    """G.107 Annex B (B-4): the estimated conversational MOS for a rating R."""
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6


def category(r: float) -> str:
    """What users think of a connection rated R (G.109's categories)."""
    return next(text for low, text in CATEGORIES if r >= low)


@dataclass(frozen=True)
class MosEstimate:
    """An E-model estimate (not a measurement) and the inputs it used."""

    mos: float
    r: float
    packets_missing_percent: float  # lost, plus dropped by the jitter buffer as late
    mouth_to_ear_ms: float  # the network's delay plus the jitter buffer's
    codec: str

    def __str__(self) -> str:
        return (f"estimated MOS {self.mos:.2f} (E-model R {self.r:.1f}, "
                f"{category(self.r)}): {self.packets_missing_percent:.1f} % of packets "
                f"missing, {self.mouth_to_ear_ms:.0f} ms one-way, {CODECS[self.codec][2]}")


def estimate_mos(loss: float, jitter_ms: float, delay_ms: float = 0.0, *,
                 codec: str = "g711_plc",
                 jitter_buffer_ms: float = JITTER_BUFFER_MS) -> MosEstimate:
    """Estimate the MOS of a line with random packet `loss` (0-1), `jitter_ms` of jitter and
    `delay_ms` of one-way network delay, with the ITU-T G.107 E-model (an estimate).

    The jitter buffer (assumptions.JITTER_BUFFER_MS) adds its depth to the delay and drops
    the packets later than that; those count as missing, as lost ones do.
    """
    problems = [p for p in (check_value("loss", loss), check_value("jitter_ms", jitter_ms))
                if p]
    if isinstance(delay_ms, bool) or not isinstance(delay_ms, (int, float)) or \
            not DELAY_RANGE[0] <= delay_ms <= DELAY_RANGE[1]:
        problems.append(f"delay_ms must be a number from {DELAY_RANGE[0]:g} to "
                        f"{DELAY_RANGE[1]:g} (one-way, in milliseconds); you gave {delay_ms!r}.")
    if codec not in CODECS:
        problems.append(f"codec must be one of {', '.join(CODECS)}; you gave {codec!r}.")
    if problems:
        raise ValueError(" ".join(problems))
    missing = 100.0 * dropped_fraction(loss, jitter_ms, jitter_buffer_ms)
    one_way = delay_ms + jitter_buffer_ms
    r = r_factor(one_way, missing, codec)
    return MosEstimate(round(mos_from_r(r), 2), round(r, 1), round(missing, 1),
                       one_way, codec)
