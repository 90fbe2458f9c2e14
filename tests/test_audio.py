import numpy as np
import pytest
import soundfile as sf
from conftest import SR, tone, write

from timbral.audio import AudioError, fix_length, load_note, note_onset, prepare_note, quantised, read_audio, write_audio

N = 4 * SR

FRAME = round(0.016 * SR)  # the onset is found to a 16 ms frame


def peak_hz(y: np.ndarray, sr: int = SR) -> float:
    spectrum = np.abs(np.fft.rfft(y[: sr] * np.hanning(sr)))
    return float(np.argmax(spectrum) * sr / sr)


@pytest.mark.parametrize("suffix,kw", [
    (".wav", {}), (".flac", {}), (".ogg", {"format": "OGG", "subtype": "VORBIS"}),
    (".mp3", {"format": "MP3", "subtype": "MPEG_LAYER_III"}), (".aiff", {"format": "AIFF", "subtype": "PCM_16"}),
])
def test_every_format_decodes_to_one_4s_note(tmp_path, suffix, kw):
    path = write(tmp_path / f"note{suffix}", tone(440, sr=44100), sr=44100, **kw)
    y = load_note(path)
    assert y.dtype == np.float32 and y.shape == (N,)
    assert abs(peak_hz(y) - 440) <= 2  # resampled, not re-pitched


def test_stereo_mixes_to_mono_and_resamples(tmp_path):
    left = tone(220, sr=48000)
    path = write(tmp_path / "stereo.wav", np.stack([left, left], axis=1), sr=48000)
    y = load_note(path)
    assert abs(peak_hz(y) - 220) <= 2
    assert np.max(np.abs(y)) == pytest.approx(0.5, abs=0.05)


def test_leading_silence_is_trimmed_and_length_fixed():
    y = np.concatenate([np.zeros(SR, np.float32), tone(330, seconds=1.0)])
    out = prepare_note(y, SR)
    assert out.shape == (N,)
    assert np.max(np.abs(out[:512])) > 0.1  # the note starts at once
    assert np.all(out[SR + FRAME :] == 0)  # 1 s of tone (to within one trim frame), then padding
    assert SR - 3 * FRAME <= note_onset(y) <= SR


@pytest.mark.parametrize("noise_db", [-70, -50])
def test_onset_rule_skips_room_noise_and_keeps_the_attack(noise_db):
    """A long take: 2.5 s of room noise, then a note (an attack of 20 ms), then another note."""
    rng = np.random.default_rng(0)
    t = np.arange(2 * SR) / SR
    note = np.sin(2 * np.pi * 330 * t) * np.minimum(1, t / 0.02) * np.exp(-2 * t)
    y = np.concatenate([np.zeros(int(2.5 * SR)), 0.8 * note, 0.8 * np.sin(2 * np.pi * 440 * t)]).astype(np.float32)
    y += (10 ** (noise_db / 20) * rng.standard_normal(len(y))).astype(np.float32)
    onset = note_onset(y)
    assert 2.5 * SR - 3 * FRAME <= onset <= 2.5 * SR + FRAME  # within a frame or three of the true start
    out = prepare_note(y, SR)
    assert out.shape == (N,) and abs(peak_hz(out) - 330) <= 2  # the note, not the noise before it


def test_long_input_is_cut_and_untrimmed_kept():
    y = tone(440, seconds=10)
    assert prepare_note(y, SR).shape == (N,)
    assert prepare_note(y, SR, duration=None, trim=False).shape == (10 * SR,)
    assert fix_length(np.ones(3, np.float32), 5).tolist() == [1, 1, 1, 0, 0]


def test_integer_and_channels_first_arrays():
    y16 = (tone(440) * 32767).astype(np.int16)
    assert np.max(np.abs(prepare_note(y16, SR))) == pytest.approx(0.5, abs=0.01)
    assert prepare_note(np.stack([tone(440), tone(440)]), SR).shape == (N,)


@pytest.mark.parametrize("make,reason", [
    (lambda p: p.write_bytes(b""), "empty"),
    (lambda p: p.write_bytes(b"this is not audio at all, just text" * 10), "not a readable audio file"),
    (lambda p: p.write_bytes(np.random.default_rng(0).bytes(5000)), "not a readable audio file"),
    (lambda p: sf.write(p, np.zeros(0, np.float32), SR), "zero length"),
    (lambda p: sf.write(p, np.zeros(SR, np.float32), SR), "silent"),
    (lambda p: sf.write(p, np.full(SR, np.nan, np.float32), SR, subtype="FLOAT"), "NaN"),
])
def test_bad_files_raise_one_clear_error_naming_the_file(tmp_path, make, reason):
    path = tmp_path / "bad input.wav"
    make(path)
    with pytest.raises(AudioError, match=reason) as info:
        load_note(path)
    assert str(path) in str(info.value) and info.value.source == str(path)


def test_truncated_and_missing_files(tmp_path):
    path = write(tmp_path / "whole.wav", tone())
    cut = tmp_path / "cut.wav"
    cut.write_bytes(path.read_bytes()[:40])  # header torn off mid-way
    with pytest.raises(AudioError, match="cut.wav"):
        load_note(cut)
    with pytest.raises(AudioError, match="no such file"):
        load_note(tmp_path / "nowhere.wav")
    with pytest.raises(AudioError):
        read_audio(tmp_path)  # a folder


def test_inf_and_bad_arrays():
    y = tone()
    y[100] = np.inf
    with pytest.raises(AudioError, match="NaN or infinite"):
        prepare_note(y, SR)
    with pytest.raises(AudioError, match="sample rate"):
        prepare_note(tone(), 0)
    with pytest.raises(AudioError, match="sample rate"):
        prepare_note(tone(), "16000")
    with pytest.raises(AudioError, match="numbers"):
        prepare_note(np.array(["a", "b"]), SR)
    with pytest.raises(AudioError, match="shape"):
        prepare_note(np.zeros((2, 3, 4)), SR)
    with pytest.raises(AudioError, match="zero length"):
        prepare_note(np.zeros(0), SR)


def test_hostile_file_names_load(tmp_path):
    path = write(tmp_path / "'; rm -rf ~ #$(x) ünïcødé <note>.wav", tone())
    assert load_note(path).shape == (N,)


def test_write_audio_formats_and_refusals(tmp_path):
    y = tone(seconds=1)
    for name, subtype, want in [("a.wav", "PCM_16", "PCM_16"), ("b.wav", "PCM_24", "PCM_24"), ("c.flac", "PCM_16", "PCM_16")]:
        path = write_audio(tmp_path / name, y, subtype=subtype)
        info = sf.info(path)
        assert info.subtype == want and info.samplerate == SR and info.frames == len(y)
    assert not list(tmp_path.glob(".tmp-*"))  # nothing half-written left behind
    with pytest.raises(AudioError, match="non-finite"):
        write_audio(tmp_path / "nan.wav", np.full(10, np.nan))
    with pytest.raises(AudioError, match=".wav or .flac"):
        write_audio(tmp_path / "x.mp3", y)
    with pytest.raises(AudioError, match="sample format"):
        write_audio(tmp_path / "x.wav", y, subtype="PCM_8")


def test_quantised_is_what_a_quiet_16_bit_file_holds(tmp_path):
    y = tone(seconds=1)
    gain = 10 ** (-30 / 20) / np.max(np.abs(y))
    path = write_audio(tmp_path / "quiet.wav", y * gain, subtype="PCM_16")  # a take at -30 dBFS peak
    from_file = read_audio(path)[0][:, 0] / gain
    step = 1 / 32767 / gain  # one 16-bit step at this level (the file's rounding rule may differ by one)
    assert np.max(np.abs(quantised(y, -30.0) - from_file)) <= 1.1 * step
    assert np.max(np.abs(quantised(y, -30.0) - y)) <= 0.51 * step
    assert np.max(np.abs(quantised(y, -30.0) - y)) > 1e-4  # rounding a quiet take is audible in the tail ...
    assert np.max(np.abs(quantised(y, -1.0) - y)) < 1e-4  # ... and far smaller at full level
    both = quantised(np.stack([y, y]), [-30.0, -1.0])  # one level per row
    assert np.array_equal(both[0], quantised(y, -30.0)) and np.array_equal(both[1], quantised(y, -1.0))


def crescendo(seconds: float = 4.0, rise: float = 1.2) -> np.ndarray:
    """A note swelling from 70 dB under its peak, steadily in dB, over ``rise`` seconds: a pad or a choir's entry."""
    t = np.arange(int(seconds * SR)) / SR
    return (np.sin(2 * np.pi * 196 * t) * 10 ** (np.minimum(t / rise, 1) * 70 / 20 - 70 / 20)).astype(np.float32)


@pytest.mark.parametrize("program, variant", [(89, None), (48, None), (52, None), (91, None), (40, "swell"), (0, "swell"),
                                              ("crescendo", None)])
@pytest.mark.parametrize("noise_db", [None, -60])
def test_a_slow_attack_is_kept_whole(program, variant, noise_db):
    """Pads, string ensembles, choirs and swells start at 0 s however softly: nothing of their rise is cut,
    over digital silence or over a microphone's hiss (and leading silence before them is still skipped)."""
    from conftest import FLUID_R3

    from timbral.data.render import SoundFontSynth

    if program == "crescendo":
        y = crescendo()
    else:
        synth = SoundFontSynth(FLUID_R3)
        try:
            y = synth.render(program, 60, 100, variant=variant)
        finally:
            synth.close()
    y = y / np.abs(y).max()
    frames = np.sqrt(np.mean(y[: len(y) // FRAME * FRAME].reshape(-1, FRAME) ** 2, axis=1))
    emerges = FRAME * int(np.flatnonzero(20 * np.log10(frames + 1e-12) >= (noise_db or -84) + 6)[0])  # out of the floor
    lead = int(0.3 * SR)
    y = np.concatenate([np.zeros(lead, np.float32), y])
    if noise_db is not None:
        y = y + (10 ** (noise_db / 20) * np.random.default_rng(1).standard_normal(len(y))).astype(np.float32)
    sounding = lead + emerges
    onset = note_onset(y)
    assert lead - FRAME <= onset <= sounding + 2 * FRAME, (onset / SR, sounding / SR)
