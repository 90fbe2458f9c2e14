import json
import shutil

import numpy as np
import pytest

from timbral.card import PLACEMENT_PLOT, metrics_markdown, update_card
from timbral.cli import main
from timbral.evaluate import evaluate, pitch_error_cents
from timbral.metrics import (
    knn_accuracy,
)
from timbral.model import load_model
from timbral.train import TrainConfig, train

KEYS = {"spectral_convergence_db", "log_spectral_distance_db", "placement_family_accuracy", "placement_chance",
        "cross_pitch_instrument_retrieval", "cross_pitch_chance", "pitch_explained_variance",
        "instrument_explained_variance", "reconstruction_gain_matched_sc_db", "reconstruction_gain_matched_lsd_db",
        "retrieval_baseline_sc_db", "retrieval_baseline_lsd_db", "reconstruction_vs_retrieval_sc_db",
        "pitch_error_cents", "active_latent_dims", "kl", "n_notes", "level_max_change", "rebuild_sc_db_at_-30dBFS",
        "placement_family_accuracy_at_-1dBFS", "cross_pitch_instrument_retrieval_at_-30dBFS", "pitch_explained_variance_at_-1dBFS",
        "placement_features_baseline", "placement_within_set", "placement_by_family"}


@pytest.fixture(scope="module")
def tiny_model(tiny_dataset, tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    train(tiny_dataset, run, TrainConfig(steps=20, latent_dim=8, channels=32, batch_size=4, log_every=10,
                                        synthesis="spectrogram"), progress=False)
    return run / "model"


@pytest.mark.slow
def test_evaluate_reports_every_metric(tiny_model, tiny_dataset, capsys):
    assert main(["evaluate", str(tiny_model), str(tiny_dataset), "--json", "--pitch-notes", "3"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert KEYS <= set(m) and m["n_notes"] == 3 and m["split"] == "test" and m["reference"] == "train split"
    assert -60 < m["spectral_convergence_db"] < 20 and m["log_spectral_distance_db"] > 0
    assert 0 <= m["placement_family_accuracy"] <= 1 and 0 <= m["placement_chance"] <= 1
    assert 0 <= m["active_latent_dims"] <= 8 and m["kl"] >= 0
    assert 0 <= m["placement_features_baseline"] <= 1 and 0 <= m["placement_within_set"] <= 1
    assert m["placement_by_family"] and all(0 <= v <= 1 for v in m["placement_by_family"].values())
    by_source = m["placement_by_source"]  # each source's notes placed, weighing up to the whole vote
    assert sum(n for _, n in by_source.values()) == m["n_notes"] and all(s.endswith(".sf2") for s in by_source)
    assert np.isclose(sum(v * n for v, n in by_source.values()) / m["n_notes"], m["placement_family_accuracy"])
    assert "per source" not in metrics_markdown(m)  # one source: nothing to compare
    two = metrics_markdown(m | {"placement_by_source": {"A.sf2": [0.5, 2], "timbral-synth": [1.0, 1]}})
    assert "| … per source (notes) | A.sf2 0.50 (2) · timbral-synth 1.00 (1) |" in two


@pytest.mark.slow
def test_dataset_without_split_uses_leave_one_out(tiny_model, tiny_dataset, tmp_path):
    copy = tmp_path / "nosplit"
    shutil.copytree(tiny_dataset, copy, ignore=shutil.ignore_patterns("split.json", "features"))
    m = evaluate(load_model(tiny_model), copy, "test", pitch_notes=2, progress=False)
    assert m["n_notes"] == 15 and m["split"] == "all" and m["reference"] == "leave-one-out"
    assert "retrieval_baseline_sc_db" not in m  # nothing to retrieve from


@pytest.mark.slow
def test_zero_phase_is_worse_and_card_update(tiny_model, tiny_dataset, tmp_path):
    model = load_model(tiny_model)
    good = evaluate(model, tiny_dataset, "valid", pitch_notes=1, progress=False)
    zero = evaluate(model, tiny_dataset, "valid", phase="zero", pitch_notes=1, progress=False)
    assert zero["spectral_convergence_db"] > good["spectral_convergence_db"]
    folder = tmp_path / "m"
    shutil.copytree(tiny_model, folder)
    update_card(folder, good)
    (folder / "card.md").write_text((folder / "card.md").read_text() + "\n## Notes\nhand-written\n")
    update_card(folder, good)  # replaces the section, never duplicates it, keeps what follows
    card = (folder / "card.md").read_text()
    assert card.count("## Evaluation") == 1 and "k-NN family accuracy" in card and "| … per family |" in card
    assert card.startswith("# Timbral model card")
    assert card.rstrip().endswith("## Notes\nhand-written")


def test_knn_accuracy_and_pitch_error():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 0.1, (20, 4)), rng.normal(5, 0.1, (20, 4))
    query, labels = np.vstack([a, b]), np.array([0] * 20 + [1] * 20)
    assert knn_accuracy(query, labels) == 1.0
    assert knn_accuracy(query, labels, query[::-1].copy(), labels[::-1].copy()) == 1.0
    assert knn_accuracy(query, labels, query, 1 - labels) == 0.0
    t = np.arange(96000) / 48000
    assert pitch_error_cents(np.sin(2 * np.pi * 440 * t).astype(np.float32), 69, 48000) < 5
    assert pitch_error_cents(np.sin(2 * np.pi * 466.16 * t).astype(np.float32), 69, 48000) == pytest.approx(100, abs=5)


def test_evaluate_bad_input(tiny_model, tiny_dataset, tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nomodel"), str(tiny_dataset)]) == 2
    assert main(["evaluate", str(tiny_model), str(tmp_path / "nodata")]) == 2
    assert main(["evaluate", str(tiny_model), str(tiny_dataset), "--pitch-notes", "-1"]) == 2
    assert main(["evaluate", str(tiny_model), str(tiny_dataset), "--rebuild-notes", "-3"]) == 2
    assert main(["evaluate", str(tiny_model), str(tiny_dataset), "--level-notes", "-3"]) == 2
    err = capsys.readouterr().err
    assert "no such model folder" in err and "not an NSynth-layout folder" in err
    assert "rebuild_notes must be a whole number" in err and "level_notes must be a whole number" in err


@pytest.mark.slow
def test_rebuild_share_and_level_robustness(tiny_model, tiny_dataset):
    model = load_model(tiny_model)
    m = evaluate(model, tiny_dataset, "train", rebuild_notes=4, pitch_notes=2, baseline_notes=0, level_notes=6, progress=False)
    assert m["rebuilt_notes"] == 4 and m["n_notes"] == 9 and m["pitch_notes"] <= 2
    assert m["level_notes"] == 6  # two whole instruments of three notes
    loud, quiet = m["rebuild_sc_db_at_-1dBFS"], m["rebuild_sc_db_at_-30dBFS"]
    assert model.config.level_normalise and abs(loud - quiet) <= 0.1 * abs(loud)  # one level for the encoder
    assert 0 <= m["level_max_change"] and 0 <= m["placement_family_accuracy_at_-30dBFS"] <= 1


@pytest.mark.slow
def test_fitted_rebuild_is_closer_and_reported(tiny_model, tiny_dataset, tmp_path):
    model = load_model(tiny_model)
    m = evaluate(model, tiny_dataset, "valid", pitch_notes=0, baseline_notes=3, level_notes=0, fit_steps=30, progress=False)
    assert m["fit_steps"] == 30 and m["fitted_latent_shift"] > 0 and "fitted_latents" not in m
    assert m["fitted_gain_matched_sc_db"] <= m["reconstruction_gain_matched_sc_db"] + 0.01  # (closer: tests/test_model.py)
    assert m["fitted_vs_retrieval_sc_db"] == pytest.approx(m["fitted_gain_matched_sc_db"] - m["retrieval_baseline_sc_db"])
    assert 0 <= m["fitted_placement_before"] <= 1 and 0 <= m["fitted_placement_after"] <= 1
    folder = tmp_path / "m"
    shutil.copytree(tiny_model, folder)
    assert "rebuilt from latents fitted to them (30 steps" in update_card(folder, m).read_text()
    assert "fit_steps" not in evaluate(model, tiny_dataset, "valid", pitch_notes=0, level_notes=0, progress=False)
    with pytest.raises(ValueError, match="fit_steps"):
        evaluate(model, tiny_dataset, "valid", fit_steps=-1, progress=False)


@pytest.mark.slow
def test_string_only_folders_and_another_library(tiny_model, tiny_dataset, tmp_path, capsys):
    copy = tmp_path / "strings"
    shutil.copytree(tiny_dataset, copy, ignore=shutil.ignore_patterns("split.json", "features"))
    examples = json.loads((copy / "examples.json").read_text())
    for meta in examples.values():
        del meta["instrument_family"], meta["instrument_source"]  # only the *_str fields, as some folders carry
    (copy / "examples.json").write_text(json.dumps(examples))
    assert main(["evaluate", str(tiny_model), str(copy), "--library", str(tiny_dataset), "--json",
                 "--pitch-notes", "1", "--baseline-notes", "4"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["reference"].endswith("(train split)") and m["baseline_notes"] == 4 and m["n_notes"] == 15
    assert np.isfinite(m["retrieval_baseline_sc_db"]) and np.isfinite(m["reconstruction_vs_retrieval_sc_db"])
    assert main(["evaluate", str(tiny_model), str(copy), "--library", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_a_moved_dataset_still_finds_its_split(tiny_model, tiny_dataset, tmp_path):
    from timbral.data.features import feature_store

    first = tmp_path / "first"
    shutil.copytree(tiny_dataset, first, ignore=shutil.ignore_patterns("features"))
    feature_store(first, progress=False)
    moved = tmp_path / "moved"
    first.rename(moved)
    m = evaluate(load_model(tiny_model), moved, "test", pitch_notes=0, baseline_notes=0, progress=False)
    assert m["reference"] == "train split" and m["n_notes"] == 3


def test_figures_at_heard_and_unheard_pitches_and_their_picture(tiny_model, tiny_dataset, tmp_path):
    from timbral.data.nsynth import read_examples
    from timbral.data.split import make_split, write_split

    data = tmp_path / "held"
    shutil.copytree(tiny_dataset, data, ignore=shutil.ignore_patterns("features"))
    split = json.loads((data / "split.json").read_text())
    write_split(data, make_split(read_examples(data), seed=split["seed"], hold_out_pitches=[60]) | {
        s: split[s] for s in ("train", "valid", "test")})
    m = evaluate(load_model(tiny_model), data, "test", pitch_notes=1, level_notes=0, baseline_notes=0, progress=False)
    assert m["notes_heard_pitch"] == 2 and m["notes_unheard_pitch"] == 1  # 48 and 72 heard, 60 held out
    for name in ("placement_family_accuracy", "cross_pitch_instrument_retrieval", "pitch_explained_variance"):
        assert f"{name}_heard_pitch" in m and f"{name}_unheard_pitch" in m
    assert m["same_instrument_distance_ratio"] > 0
    assert m["placement_by_pitch"][60][1:] == [1, False] and m["placement_by_pitch"][48][2] is True
    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    update_card(folder, m)
    card = (folder / "card.md").read_text()
    assert "never heard" in card and PLACEMENT_PLOT in card and "ratio ≤ 1.10" in card
    assert (folder / PLACEMENT_PLOT).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_what_a_listener_hears_is_scored_beside_calibration(tiny_model, tiny_dataset, tmp_path):
    m = evaluate(load_model(tiny_model), tiny_dataset, "test", pitch_notes=1, level_notes=0, baseline_notes=0, visqol=1,
                 progress=False)
    assert m["visqol_notes"] == 1 and m["visqol_pairs"] == 1
    for key in ("own_pitch_model", "own_pitch_recorded", "own_pitch_copy_16k", "own_pitch_lowpass_8k", "own_pitch_lowpass_4k",
                "other_pitch_model", "other_pitch_recorded_transpose", "other_pitch_recorded_resample",
                "other_pitch_recorded_shift", "other_pitch_recorded_fade",
                "other_pitch_resampled"):
        assert 1.0 <= m[f"visqol_{key}"] <= 5.0, key
        assert m[f"visqol_{key}_high_band_db"] >= 0, key
    # an untrained model makes noise; its recording's own magnitudes sound like it, and a 4 kHz low-pass lies between
    assert m["visqol_own_pitch_recorded"] > m["visqol_own_pitch_lowpass_4k"] > m["visqol_own_pitch_model"]
    # at another pitch, as recorded and resampled is its own-pitch rendition resampled: as a sampler plays the recording
    assert abs(m["visqol_other_pitch_recorded_resample"] - m["visqol_other_pitch_resampled"]) < 0.3
    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    update_card(folder, m)
    assert "ViSQOL MOS" in (folder / "card.md").read_text()
