"""A sound's detail: what the model cannot make of its recording, played back with it."""

import numpy as np
import pytest
import torch
from conftest import tone

from timbral.audio import repitched
from timbral.detail import MOVES, Detail, anchor, key_of, summed, weighted
from timbral.spectral import stft


def partial_at(bin_: int, frames: int = 4) -> np.ndarray:
    spec = np.zeros((513, frames), np.float32)
    spec[bin_] = 0.5
    return spec


def test_a_detail_moves_with_the_harmonics_or_fades():
    d = Detail(partial_at(100), pitch=60)
    assert torch.equal(d.at(60), torch.from_numpy(partial_at(100)))  # at its own pitch, as it is
    up = d.at(72)[:, 0]
    assert int(up.argmax()) == 200 and float(up.max()) == pytest.approx(0.5, abs=1e-3)  # an octave up: twice the frequency
    assert int(d.at(55)[:, 0].argmax()) == round(100 * 2 ** (-5 / 12))
    assert float(d.at(66, move="fade").max()) == pytest.approx(0.25, abs=1e-3) and float(d.at(80, move="fade").max()) == 0
    with pytest.raises(ValueError, match="move"):
        d.at(61, move="stretch")


def test_details_weigh_as_the_latents_and_name_themselves():
    a, b = Detail(partial_at(100), 60), Detail(partial_at(50), 60)
    mixed = weighted([(0.25, ((1.0, a),)), (0.75, ((1.0, b),)), (0.0, ((1.0, a),))])
    assert [w for w, _ in mixed] == [0.25, 0.75]
    total = summed(mixed, 60)
    assert float(total[100, 0]) == pytest.approx(0.125) and float(total[50, 0]) == pytest.approx(0.375)
    assert summed((), 60) is None
    assert key_of(mixed) != key_of(weighted([(0.5, ((1.0, a),)), (0.5, ((1.0, b),))])) and key_of(()) == b""


def spectral_convergence_db(y, reference) -> float:
    mag, ref = (stft(v).abs().numpy() for v in (y, reference))
    gain = (mag * ref).sum() / (mag**2).sum()
    return float(20 * np.log10(np.linalg.norm(gain * mag - ref) / np.linalg.norm(ref)))


def test_a_sound_with_audio_plays_as_itself_at_its_own_pitch(t):
    note = tone(220, 4).astype(np.float32)  # an A3
    e = t.encode(note, pitch=57)
    recorded, model = t.decode(e, 57), t.decode(e, 57, recorded=False)
    original = note / np.abs(note).max()
    assert spectral_convergence_db(recorded, original) < -20  # its own magnitudes, the phase rebuilt
    assert spectral_convergence_db(recorded, original) < spectral_convergence_db(model, original) - 10
    for move in MOVES[:3]:  # at another pitch its partials move with it, transposed, resampled or decoded there
        up = t.decode(e, 64, move=move)
        assert spectral_convergence_db(up, tone(220 * 2 ** (7 / 12), 4)) < \
            spectral_convergence_db(t.decode(e, 64, recorded=False), tone(220 * 2 ** (7 / 12), 4))


def test_each_way_of_playing_another_pitch_has_its_own_cache_entry(t):
    e = t.encode(tone(220, 4).astype(np.float32), pitch=57)
    played = {move: t.decode(e, 62, move=move) for move in MOVES}
    assert not any(np.allclose(played[a], played[b]) for a, b in zip(MOVES, MOVES[1:]))
    assert all(np.array_equal(y, t.decode(e, 62, move=move)) for move, y in played.items())
    with pytest.raises(ValueError, match="move"):
        t.decode(e, 62, move="stretch")


def test_a_recording_at_another_pitch_is_transposed_its_timing_kept(t):
    e = t.encode(tone(220, 4, harmonics=6).astype(np.float32), pitch=57)
    own = t.decode(e, 57)
    for semitones in (7, -5, -12):  # its partials moved by the pitch ratio, in tune (the bins moved: a semitone flat)
        played = t.decode(e, 57 + semitones)
        peak = np.argmax(np.abs(np.fft.rfft(played[: 2 * t.sr]))) / 2  # Hz
        assert peak == pytest.approx(220 * 2 ** (semitones / 12), rel=0.006)  # within 10 cents
    envelope = lambda y: np.sqrt(np.mean(y.reshape(40, -1) ** 2, axis=1))  # noqa: E731  (RMS per 100 ms)
    up = t.decode(e, 69)  # an octave up it lasts as long as at its own pitch and swells and fades as it did
    assert np.corrcoef(envelope(up), envelope(own))[0, 1] > 0.95
    assert np.abs(t.decode(e, 69, move="resample")[2 * t.sr :]).max() < 1e-3 * np.abs(up).max()  # a sampler's: over in 2 s
    for far in (0, 57 + 36, 127):  # beyond two octaves the rest is resampled: in tune, whole, at the same cost
        y = t.decode(e, far)
        assert y.shape == own.shape and np.isfinite(y).all() and np.abs(y).max() > 0.5
    peak = np.argmax(np.abs(np.fft.rfft(t.decode(e, 57 + 36)[: t.sr // 2]))) * 2  # Hz
    assert peak == pytest.approx(220 * 8, rel=0.006)


def test_a_recording_at_another_pitch_resampled_plays_as_a_sampler_plays_it(t):
    e = t.encode(tone(220, 4, harmonics=6).astype(np.float32), pitch=57)
    own = t.decode(e, 57)
    for semitones in (7, -5):
        played = t.decode(e, 57 + semitones, move="resample")
        expected = repitched(own, semitones)
        assert np.allclose(played, expected * np.abs(played).max() / np.abs(expected).max(), atol=1e-5)
    assert np.abs(t.decode(e, 69, move="shift")[2 * t.sr :]).max() > 0.05  # decoded there, it lasts as long as before


def test_a_blend_is_played_from_its_heaviest_recordings_pitch():
    a, b = Detail(partial_at(100), 60), Detail(partial_at(50), 67)
    assert anchor(weighted([(0.4, ((1.0, a),)), (0.6, ((1.0, b),))])) == 67
    assert anchor(weighted([(0.5, ((1.0, a),)), (0.5, ((1.0, b),))])) == 60  # the first of equals
    assert anchor(()) is None
    assert torch.equal(a.at(67, move="resample"), a.at(67, move="shift"))  # moved to the anchor with the harmonics


def test_a_library_sound_and_the_ends_of_a_blend_are_the_recordings(t):
    from timbral.audio import load_note

    a, b = [s for s in t.library.sounds if s.pitch == 60][:2]
    path = t.interpolate(a.name, b.name, steps=3)
    for end, sound in ((path[0], a), (path[-1], b)):
        original = load_note(t.library.audio_path(sound.name), trim=False)
        assert spectral_convergence_db(end, original) < -20
    model = t.interpolate(a.name, b.name, steps=3, recorded=False)
    assert not np.allclose(model[1], path[1])  # the step between carries their texture too
    assert spectral_convergence_db(path[0], load_note(t.library.audio_path(a.name), trim=False)) < \
        spectral_convergence_db(model[0], load_note(t.library.audio_path(a.name), trim=False)) - 10


def test_sounds_without_audio_are_the_models(t):
    z = t.random_latents(1, seed=3)[0]
    assert t.resolve(z).details == ()
    assert np.array_equal(t.decode(z, 60), t.decode(z, 60, recorded=False))
    mixed = t.mixed([z, t.library.sounds[0].name], [0.5, 0.5])
    assert [w for w, _ in mixed.details] == [0.5]  # only the library sound brings a detail, at its weight
