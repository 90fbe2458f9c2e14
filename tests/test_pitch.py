"""Pitch: note names, names in files, and detection on rendered notes and on twelve kinds of one-shot."""

import json

import numpy as np
import pytest
from conftest import SR, tone
from oneshots import KINDS, rendered

from timbral.audio import load_note, note_onset
from timbral.pitch import NOMINAL_PITCH, PitchError, detect_pitch, find_pitch, note_name, parse_pitch, pitch_from_name


@pytest.mark.parametrize("value,midi", [
    (60, 60), ("60", 60), (" 60 ", 60), (60.0, 60), (np.int64(61), 61), ("C4", 60), ("c4", 60), ("F#3", 54), ("Bb2", 46),
    ("C♯4", 61), ("Eb-1", 3), ("C-1", 0), ("G9", 127), ("A0", 21), ("0", 0), ("127", 127),
])
def test_parse_pitch_accepts_numbers_and_note_names(value, midi):
    assert parse_pitch(value) == midi


@pytest.mark.parametrize("value", [-1, 128, 60.5, float("nan"), "H4", "C#", "", "C10", "G#9", "60 C4", "x" * 1000, None, True,
                                   [60], "-1"])
def test_parse_pitch_refuses_with_a_clear_message(value):
    with pytest.raises(PitchError, match="MIDI note 0-127 or a note name like C4"):
        parse_pitch(value)


def test_note_names_round_trip():
    assert [note_name(m) for m in (0, 21, 60, 61, 127)] == ["C-1", "A0", "C4", "C#4", "G9"]
    assert all(parse_pitch(note_name(m)) == m for m in range(128))


@pytest.mark.parametrize("stem,pitch,rest", [
    ("voice_A3", 57, "voice"), ("Piano C#4 soft", 61, "Piano soft"), ("sax-Eb3", 51, "sax"), ("bass_E1", 28, "bass"),
    ("synth 60 loud", 60, "synth loud"), ("take2", None, "take2"), ("kick_01", None, "kick 01"), ("A4", 69, ""),
    ("flute_fs5", 78, "flute"),
    ("keyboard_acoustic_fluidr3_gm_107-051-050", 51, "keyboard acoustic fluidr3 gm 107"),  # NSynth: instrument-pitch-velocity
    ("bass_synthetic_033-100-100", 100, "bass synthetic 033"), ("guitar_acoustic_010-021-127", 21, "guitar acoustic 010"),
])
def test_pitch_from_name(stem, pitch, rest):
    assert pitch_from_name(stem) == (pitch, rest)


def test_rendered_notes_are_detected_at_their_pitch(tiny_dataset):
    examples = json.loads((tiny_dataset / "examples.json").read_text())
    found = {k: detect_pitch(load_note(tiny_dataset / "audio" / f"{k}.wav", trim=False)) for k in examples}
    right = [k for k, e in found.items() if e.pitched and e.pitch == examples[k]["pitch"]]
    assert len(right) >= len(examples) - 1, {k: (e.pitch, e.method, e.confidence) for k, e in found.items()}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_twelve_kinds_of_one_shot(kind):
    """Pitched sounds at the pitch a listener names; cymbals and snares unpitched at C4, never refused."""
    make, expected = KINDS[kind]
    e = find_pitch(load_note_array(make()))
    if expected is None:
        assert (e.pitched, e.pitch, e.method) == (False, NOMINAL_PITCH, "none")
        assert "unpitched" in e.describe()
    else:
        assert e.pitched and e.pitch == expected, e
        assert 0.35 <= e.confidence <= 1.0 and abs(69 + 12 * np.log2(e.hz / 440) - expected) < 0.5


def load_note_array(y):
    from timbral.audio import prepare_note

    return prepare_note(y, SR)


def test_find_pitch_prefers_given_then_name_then_detection():
    y = tone(220, seconds=3)
    assert (find_pitch(y, given="C5").pitch, find_pitch(y, given="C5").method) == (72, "given")
    assert (find_pitch(y, name="voice_E4").pitch, find_pitch(y, name="voice_E4").method) == (64, "name")
    assert (find_pitch(y, name="take").pitch, find_pitch(y, name="take").method) == (57, "pyin")
    with pytest.raises(PitchError):
        find_pitch(y, given="loud")


def test_a_chord_is_named_by_its_lowest_note_not_by_its_common_period():
    root = 110.0  # A2, its fifth and its octave: together they repeat at 55 Hz, where nothing sounds
    chord = tone(root, 2.5) + tone(root * 1.5, 2.5) + tone(root * 2, 2.5)
    estimate = detect_pitch(chord)
    assert estimate.pitched and estimate.pitch == 45 and estimate.method == "harmonic series", estimate
    assert detect_pitch(tone(root, 2.5)).method == "pyin"  # a note that sounds at its pitch stays as found


def fluid_r3(program: int, key: int) -> np.ndarray:
    """A note of FluidR3_GM's ``program`` at ``key``, from its onset (as an upload is heard)."""
    from timbral.data.default import FLUID_R3
    from timbral.data.render import SoundFontSynth

    synth = SoundFontSynth(FLUID_R3)
    try:
        note = synth.render(program, key, 105)
    finally:
        synth.close()
    return note[note_onset(note, SR):]


def test_a_low_note_whose_fundamental_is_too_weak_to_count_is_named_by_it_not_an_octave_up():
    """A low piano's fundamental lies far under its 2nd harmonic: a listener hears the period of its whole series.
    Every harmonic from the 2nd to the 8th sounds there, where a chord's common period leaves gaps (test above)."""
    hz, t = 38.89, np.arange(int(2.5 * SR)) / SR  # D#1, harmonics 2 to 14 only
    y = sum(np.sin(2 * np.pi * hz * k * t) / k for k in range(2, 15)) * np.exp(-t)
    assert detect_pitch(0.3 * y / np.abs(y).max()).pitch == 27
    estimate = detect_pitch(fluid_r3(1, 27))  # its bright piano at D#1: pYIN's period, but nothing sounds there
    assert estimate.pitched and estimate.pitch == 27, estimate


@pytest.mark.parametrize("key", [36, 38, 40])
def test_a_low_guitar_note_whose_2nd_harmonic_is_loudest_is_named_by_its_fundamental(key):
    """FluidR3's nylon guitar from C2 to E2: its 2nd harmonic is the loudest, its fundamental 20 dB under it, and pYIN
    takes the 2nd for the period. Every harmonic of the key from the 1st to the 8th sounds: that is the note."""
    estimate = detect_pitch(fluid_r3(24, key))
    assert estimate.pitched and estimate.pitch == key and estimate.method.endswith("its fundamental"), estimate


@pytest.mark.parametrize("key", [56, 59])
def test_a_tubular_bell_is_heard_at_its_strike_tone_where_no_partial_sounds(key):
    """TimGM6mb's tubular bells: partials in 2:3:4 over the key (the tube's modes 4-6) and inharmonic ones beside.
    The strike tone a listener names is their missing fundamental, not the lowest partial an octave above it."""
    y = rendered(14, key)
    estimate = detect_pitch(y[note_onset(y, SR):])
    assert estimate.pitched and estimate.pitch == key, estimate


@pytest.mark.parametrize("key", [59, 86])
def test_two_inharmonic_partials_are_named_by_the_lower_not_by_their_common_period(key):
    """TimGM6mb's crystal: the key loudest and a partial near 2.68 times it. pYIN hears the period they share, a
    twelfth or more under the key; the note is named by the partial that sounds lowest."""
    y = rendered(98, key)
    estimate = detect_pitch(y[note_onset(y, SR):])
    assert estimate.pitched and estimate.pitch == key and estimate.method == "pyin, lowest partial", estimate


def test_a_rough_low_voice_is_pitched_where_two_unsure_readings_agree(tmp_path):
    """espeak-ng's rough low male variant: dense partials (no harmonic fallback alone) and an unsure pYIN, but both
    name the same note, so it gets a pitch (a hi-hat's readings rarely agree)."""
    import subprocess

    import librosa

    wav = tmp_path / "ah.wav"
    subprocess.run(["espeak-ng", "-v", "en+m2", "-p", "50", "-m", "-w", str(wav),
                    '<speak><prosody range="0">[[A::::::::::::::]]</prosody></speak>'], check=True, capture_output=True)
    y = load_note(wav)
    f0, voiced, _ = librosa.pyin(y[:48000], fmin=50, fmax=1000, sr=48000, frame_length=4096)
    truth = round(float(np.median(librosa.hz_to_midi(f0[voiced]))))
    estimate = detect_pitch(y)
    assert estimate.pitched and abs(estimate.pitch - truth) <= 1, (estimate, truth)
