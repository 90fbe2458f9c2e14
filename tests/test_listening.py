"""What a listener hears: ViSQOL at 48 kHz on the active part, the high band's level error, the calibrations."""

import numpy as np
import pytest
from conftest import SR, tone

from timbral.audio import repitched
from timbral.listening import active_part, high_band_error, is_bright, lowpass, mos, sixteen_khz_copy


def test_visqol_scores_a_copy_above_a_muffled_one():
    note = tone(330, 4, harmonics=12)
    assert mos(note, note) > 4.6 and mos(note, 0.3 * note) > 4.6  # gain-matched: the level changes nothing
    assert mos(note, note) > mos(note, lowpass(note, 4000)) > mos(note, lowpass(note, 1000))
    up = repitched(note, 12)
    assert len(up) == len(note) and np.argmax(np.abs(np.fft.rfft(up))) == pytest.approx(2 * np.argmax(np.abs(np.fft.rfft(note))), abs=2)


def test_the_active_part_and_the_high_band_are_found():
    y = np.zeros(4 * SR, np.float32)
    y[SR : SR + SR // 2] = tone(440, 0.5)
    start, end = active_part(y)
    assert abs(start - SR) < SR // 20 and abs(end - (SR + SR // 2)) < SR // 5  # a short hit: not its padded silence
    noise = np.random.default_rng(0).normal(scale=0.1, size=2 * SR).astype(np.float32)
    assert is_bright(noise) and not is_bright(tone(220, 2, harmonics=3))
    error = high_band_error(noise, sixteen_khz_copy(noise))
    assert np.nanmax(error) > 20 and np.all(high_band_error(noise, noise) < 0.01)  # a 16 kHz copy loses the air
