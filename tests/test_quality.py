"""The E-model estimate against ITU-T's published values (G.107, G.109, G.113)."""

from __future__ import annotations

import math

import pytest

from helpers import quality
from helpers.network_conditions import dropped_fraction, late_fraction


def test_every_default_gives_the_published_rating_and_mos():
    """G.107 §7.7: with all default values R = 93.2; Annex B turns that into MOS 4.41."""
    ro, is_, no, _ist = quality.basic_terms()
    assert no == pytest.approx(-61.18, abs=0.01)
    assert is_ == pytest.approx(1.41, abs=0.01)
    assert quality.r_factor() == pytest.approx(93.2, abs=0.05)
    assert quality.mos_from_r(quality.r_factor()) == pytest.approx(4.41, abs=0.005)
    perfect = quality.estimate_mos(0.0, 0.0, 0.0, jitter_buffer_ms=0)
    assert (perfect.r, perfect.mos) == (93.2, 4.41)


@pytest.mark.parametrize("r, mos", [(90, 4.34), (70, 3.60), (60, 3.10),
                                    (50, 2.58)])
def test_mos_at_the_edges_of_the_g109_categories(r, mos):
    """G.109 Table 1 lists these MOS values for the lower limits of its R categories."""
    assert quality.mos_from_r(r) == pytest.approx(mos, abs=0.005)


def test_mos_is_clamped_outside_0_to_100():
    assert quality.mos_from_r(-5) == 1.0 and quality.mos_from_r(120) == 4.5


@pytest.mark.parametrize("delay", [0, 50, 100, 150, 200, 250, 300, 350])
def test_delay_impairment_follows_the_published_simplification(delay):
    """Cole & Rosenbluth (2001) fit G.107's Id at default values with
    0.024 d + 0.11 (d - 177.3) H(d - 177.3); the full model stays within 3 points of it."""
    fit = 0.024 * delay + 0.11 * max(0.0, delay - 177.3)
    assert quality.delay_impairment(delay) == pytest.approx(fit, abs=3.0)


def test_delay_only_ever_lowers_the_rating():
    ratings = [quality.r_factor(delay_ms=d) for d in range(0, 501, 25)]
    assert ratings == sorted(ratings, reverse=True) and ratings[-1] < 70


def test_effective_impairment_is_g107_equation_7_29():
    """Ie,eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl), codec values from G.113."""
    assert quality.effective_equipment_impairment(0) == 0
    assert quality.effective_equipment_impairment(5, "g711_plc") == \
        pytest.approx(95 * 5 / (5 + 25.1))
    assert quality.effective_equipment_impairment(5, "g711") == pytest.approx(95 * 5 / 9.3)
    assert quality.effective_equipment_impairment(2, "g729a", burst_ratio=2) == \
        pytest.approx(11 + 84 * 2 / (1 + 19))
    assert quality.effective_equipment_impairment(100) < 95  # never worse than total loss


def test_concealment_makes_the_same_loss_cost_less():
    with_plc = quality.estimate_mos(0.05, 0, jitter_buffer_ms=0)
    without = quality.estimate_mos(0.05, 0, jitter_buffer_ms=0, codec="g711")
    assert with_plc.r == pytest.approx(93.2 - 95 * 5 / 30.1, abs=0.05)
    assert without.mos < with_plc.mos < 4.41


def test_jitter_counts_as_delay_and_as_late_packets():
    """The buffer's depth is added to the delay; packets later than it count as missing."""
    calm = quality.estimate_mos(0.0, 0.0, 40.0)
    assert calm.mouth_to_ear_ms == 40 + quality.JITTER_BUFFER_MS
    assert calm.packets_missing_percent == 0
    shaky = quality.estimate_mos(0.0, 80.0, 40.0)
    assert shaky.packets_missing_percent == pytest.approx(
        100 * math.exp(-quality.JITTER_BUFFER_MS / 80), abs=0.05)
    assert shaky.mos < calm.mos
    assert late_fraction(0) == 0 and dropped_fraction(0.05, 0) == pytest.approx(0.05)
    assert dropped_fraction(0.5, 80, 100) == pytest.approx(1 - 0.5 * (1 - math.exp(-1.25)))


def test_a_deeper_buffer_trades_late_packets_for_delay():
    scores = [quality.estimate_mos(0.05, 80, 40, jitter_buffer_ms=d).mos
              for d in range(20, 401, 20)]
    best = scores.index(max(scores))
    assert 0 < best < len(scores) - 1  # neither the smallest nor the largest buffer wins


def test_the_estimate_says_it_is_an_estimate_and_refuses_nonsense():
    text = str(quality.estimate_mos(0.05, 80, 20))
    assert text.startswith("estimated MOS") and "E-model" in text
    with pytest.raises(ValueError, match="loss must be a number from 0 to 1"):
        quality.estimate_mos(5, 80)
    with pytest.raises(ValueError, match="jitter_ms"):
        quality.estimate_mos(0.1, -3)
    with pytest.raises(ValueError, match="delay_ms"):
        quality.estimate_mos(0.1, 3, 5000)
    with pytest.raises(ValueError, match="codec"):
        quality.estimate_mos(0.1, 3, codec="opus")
