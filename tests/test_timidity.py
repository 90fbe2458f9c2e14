import json

import numpy as np
import pytest
import soundfile as sf
from conftest import FREEPATS

from timbral.cli import main
from timbral.data.render import PresetChoice, render_presets, render_soundfonts
from timbral.data.timidity import TimidityError, TimiditySynth, read_config
from timbral.pitch import detect_pitch


def test_freepats_renders_like_a_soundfont(tmp_path, capsys):
    out = tmp_path / "fp"
    rc = main(["render", str(FREEPATS), "--out", str(out), "--programs", "40,73,3", "--pitches", "45,60,81",
               "--velocities", "100", "--workers", "1"])
    assert rc == 0
    examples = json.loads((out / "examples.json").read_text())
    assert {m["instrument_str"] for m in examples.values()} == {"string_acoustic_freepats_040", "flute_acoustic_freepats_073"}
    assert {m["instrument_name"] for m in examples.values()} == {"Violin", "Flute"}
    assert {m["soundfont"] for m in examples.values()} == {"freepats.cfg"}
    for key, meta in examples.items():
        y, sr = sf.read(out / "audio" / f"{key}.wav", dtype="float32")
        assert (sr, len(y)) == (48000, 4 * 48000)
        assert detect_pitch(y).pitch == meta["pitch"]  # the note sounds at the key it was played
        assert np.abs(y[:1600]).max() > 0.01  # it starts at once: no lead-in of silence
    assert "freepats@0:3" in capsys.readouterr().out  # program 3 (Honky-tonk) is not in freepats: reported


@pytest.mark.slow
def test_freepats_drums_render_as_a_soundfonts_kit(tmp_path):
    out = tmp_path / "fp"
    assert main(["render", str(FREEPATS), "--out", str(out), "--programs", "73", "--pitches", "60", "--velocities", "100",
                 "--drums", "--workers", "2"]) == 0
    examples = json.loads((out / "examples.json").read_text())
    drums = {m["key"]: m for m in examples.values() if m["instrument_family_str"] == "percussion"}
    assert set(drums) == set(range(35, 82)) and len(examples) == len(drums) + 1  # every GM drum of its one drum set
    kick, hat = (drums[k] for k in (36, 42))
    assert kick["instrument_str"] == "percussion_acoustic_freepats_kit000_036" and kick["pitched"] is False
    assert kick["instrument_name"] == "Bass Drum 1 (Drum set 0)"

    def bright(meta):
        y, _ = sf.read(out / "audio" / f"{meta['note_str']}.wav", dtype="float32")
        spectrum = np.abs(np.fft.rfft(y[:24000])) ** 2
        return spectrum[500:].sum() / spectrum.sum()  # the share above 1 kHz (2 Hz bins)

    assert bright(hat) > 0.9 > 0.2 > bright(kick)  # a hi-hat, not the kick: the drum channel plays the drum set


def test_renders_are_deterministic_and_follow_velocity():
    synth = TimiditySynth(FREEPATS)
    loud, again, soft = synth.render(0, 60, 100), synth.render(0, 60, 100), synth.render(0, 60, 40)
    assert np.array_equal(loud, again)
    assert np.abs(soft).max() < 0.7 * np.abs(loud).max()
    assert np.abs(loud[-800:]).max() < 0.1 * np.abs(loud).max()  # released by the end


def test_config_names_banks_drumsets_and_sources(tmp_path):
    (tmp_path / "more.cfg").write_text("bank 0\n 41 Tone_000/041_Viola.pat amp=90\n")
    cfg = tmp_path / "set.cfg"
    cfg.write_text("# a comment\ndir /nowhere\ndrumset 0\n 35 Drum_000/035_Kick_1.pat\n"
                   "bank 0\n 0 Tone_000/000_Acoustic_Grand_Piano.pat amp=120 # loud\n 300 bad.pat\nsource more.cfg\n"
                   "bank 8\n 24 Tone_008/024_Ukulele.pat\n")
    assert read_config(cfg) == {(128, 0): "Drum set 0", (0, 0): "Acoustic Grand Piano", (0, 41): "Viola", (8, 24): "Ukulele"}


def test_bad_configs_get_clear_errors_and_write_nothing(tmp_path, capsys, monkeypatch):
    empty = tmp_path / "empty.cfg"
    empty.write_text("drumset 0\n 35 Drum_000/035_Kick_1.pat\n")
    garbage = tmp_path / "junk.cfg"
    garbage.write_bytes(bytes(range(256)) * 4)
    loop = tmp_path / "loop.cfg"
    loop.write_text("source loop.cfg\n")
    for path, message in ((tmp_path / "missing.cfg", "no such TiMidity config"), (empty, "no melodic patches"),
                          (garbage, "no melodic patches"), (loop, "nest")):
        with pytest.raises(TimidityError, match=message):
            render_soundfonts([path], tmp_path / "o", progress=False)
    with pytest.raises(ValueError, match="a TiMidity config has none"):
        render_presets([PresetChoice(str(FREEPATS), 0, 0, "dark")], tmp_path / "o", progress=False)
    assert main(["render", str(empty), "--out", str(tmp_path / "o")]) == 2
    assert "no melodic patches" in capsys.readouterr().err
    lost = tmp_path / "we ird;$(x) lost.cfg"  # a hostile name, and a patch that is not there
    lost.write_text("bank 0\n 0 /nowhere/000_Piano.pat\n")
    assert main(["render", str(lost), "--out", str(tmp_path / "o"), "--programs", "0", "--pitches", "60", "--workers", "1"]) == 2
    assert "cannot find the patch '/nowhere/000_Piano.pat' of program 0" in capsys.readouterr().err
    assert not (tmp_path / "o" / "examples.json").exists()
    monkeypatch.setenv("PATH", str(tmp_path))  # no timidity on it
    with pytest.raises(TimidityError, match="needs TiMidity"):
        TimiditySynth(FREEPATS)
