"""Sounds as files: WAV/FLAC at 48 kHz (44.1 on request), 24 or 16 bits, ZIP archives, a timbre's SFZ."""

import io
import re
import zipfile

import numpy as np
import pytest
import soundfile as sf
from conftest import SR, tone

from timbral.audio import AudioError
from timbral.exports.files import (
    FADE_OUT_SECONDS,
    at_rate,
    audio_bytes,
    faded_end,
    key_ranges,
    sfz_instrument,
    write_sound,
    write_sounds,
    write_zip,
    zip_bytes,
)


def parse_sfz(text: str) -> list[dict]:
    """Regions of an SFZ file with the opcodes of their <global> and <group> headers folded in."""
    scopes = {"global": {}, "group": {}}
    regions = []
    for line in text.splitlines():
        line = line.split("//")[0].strip()
        for header, body in re.findall(r"<(\w+)>([^<]*)", line) or [(None, line)]:
            opcodes = dict(kv.split("=", 1) for kv in body.split())
            if header in ("global", "group"):
                scopes[header] = opcodes
                if header == "global":
                    scopes["group"] = {}
            elif header == "region":
                regions.append({**scopes["global"], **scopes["group"], **opcodes})
            elif header in (None, "control"):
                scopes.setdefault("control", {}).update(opcodes)
    return regions


def test_sfz_maps_every_key_and_velocity_once_to_a_real_sample(t):
    files = sfz_instrument(t, t.library.sounds[0].name, name="tiny", pitches=range(36, 85, 12), velocities=(50, 100))
    regions = parse_sfz(files["tiny.sfz"].decode())
    assert len(regions) == 10 and len(files) == 11
    for key in range(128):
        for vel in range(1, 128):
            hits = [r for r in regions if int(r["lokey"]) <= key <= int(r["hikey"]) and int(r["lovel"]) <= vel <= int(r["hivel"])]
            assert len(hits) == 1, (key, vel)
    for r in regions:
        assert int(r["lokey"]) <= int(r["pitch_keycenter"]) <= int(r["hikey"])
        y, sr = sf.read(io.BytesIO(files["samples/" + r["sample"]]))
        info = sf.info(io.BytesIO(files["samples/" + r["sample"]]))
        assert sr == SR and len(y) == 4 * SR and info.subtype == "PCM_24" and np.max(np.abs(y)) > 0.5
    with pytest.raises(ValueError):
        sfz_instrument(t, t.library.sounds[0].name, pitches=[])


def test_ranges_cover_without_gaps():
    assert key_ranges([60], 0, 127) == [(0, 127)]
    assert key_ranges([24, 27, 30], 0, 127) == [(0, 25), (26, 28), (29, 127)]


def test_audio_files_and_formats(tmp_path):
    y = tone(440, 1)
    assert sf.info(io.BytesIO(audio_bytes(y, fmt="flac", bits=24))).format == "FLAC"
    paths = write_sounds(tmp_path, {"a": y}, fmt="flac", bits=16)
    assert paths[0].name == "a.flac" and sf.info(paths[0]).subtype == "PCM_16"
    for fmt, bits in (("mp3", 16), ("wav", 8)):
        with pytest.raises(AudioError):
            audio_bytes(y, fmt=fmt, bits=bits)


def test_a_sound_at_44_1_khz_keeps_its_length_and_its_pitch(tmp_path):
    y = tone(1000, 1)
    out = write_sound(tmp_path / "a.wav", y, rate=44100)
    back, sr = sf.read(out)
    assert sr == 44100 and len(back) == 44100 and sf.info(out).subtype == "PCM_24"
    spectrum = np.abs(np.fft.rfft(back))
    assert np.argmax(spectrum) * sr / len(back) == pytest.approx(1000, abs=2)
    assert np.array_equal(at_rate(y, SR), y)  # at its own rate a sound is left as it is
    with pytest.raises(AudioError):
        audio_bytes(y, rate=22050)


def test_every_sample_ends_faded_and_an_archive_holds_what_was_given(tmp_path):
    y = np.ones(SR, np.float32)
    faded = faded_end(y[None])[0]
    assert faded[-1] == 0 and faded[0] == 1 and faded[-round(FADE_OUT_SECONDS * SR) - 1] == 1
    files = {"a.wav": audio_bytes(tone(440, 1)), "notes/b.txt": b"hello"}
    with zipfile.ZipFile(io.BytesIO(zip_bytes(files))) as z:
        assert sorted(z.namelist()) == sorted(files) and z.read("notes/b.txt") == b"hello"
    path = write_zip(tmp_path / "out.zip", files)
    assert zipfile.is_zipfile(path) and list(tmp_path.iterdir()) == [path]  # written whole, nothing left behind


def test_sfizz_plays_every_note_whole_however_often_it_is_asked(t, tmp_path):
    """sfizz streams a sample past its preloaded start in the background; rendering offline, that at times came back
    empty and left a note silent after its first fraction of a second (one render in two or three). Each of six renders lasts its 4 s."""
    from timbral.exports.morph import play_sfz

    files = sfz_instrument(t, t.encode(tone(220, 4, harmonics=6), pitch=57), name="a", pitches=(57, 69), velocities=(100,))
    for path, data in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    for key in (69, 64, 69, 64, 69, 64):
        y = play_sfz(tmp_path / "a.sfz", key, seconds=4.0)
        assert np.abs(y[int(3.5 * SR) :]).max() > 0.01 * np.abs(y).max(), key


@pytest.mark.parametrize("rate", [48000, 44100])
def test_a_transposed_recording_plays_in_tune_and_whole_in_sfizz(t, tmp_path, rate):
    """An SFZ of a recording (an A3 of 6 harmonics) transposed to A4, as sfizz plays it at the file's rate: at the
    sample's key and a fourth under (sfizz resampling it), in tune, and lasting as long as the recording."""
    from timbral.exports.morph import play_sfz

    files = sfz_instrument(t, t.encode(tone(220, 4, harmonics=6), pitch=57), name="a", pitches=(57, 69),
                           velocities=(100,), rate=rate)
    for path, data in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    for key in (69, 64):
        y = play_sfz(tmp_path / "a.sfz", key, seconds=4.0, rate=rate)
        peak_hz = np.argmax(np.abs(np.fft.rfft(y[: 2 * rate]))) / 2
        assert 1200 * abs(np.log2(peak_hz / (440 * 2 ** ((key - 69) / 12)))) < 10, (key, peak_hz)  # cents
        assert np.abs(y[int(2.5 * rate) : 3 * rate]).max() > 0.05 * np.abs(y).max()  # a sampler's A4: over by 2 s
