import json
import shutil

import numpy as np
import pytest

from timbral.cli import main
from timbral.evaluate import evaluate, knn_accuracy, pitch_error_cents, update_card
from timbral.model import load_model
from timbral.train import TrainConfig, train

KEYS = {"spectral_convergence_db", "log_spectral_distance_db", "knn_family_accuracy", "pitch_error_cents",
        "active_latent_dims", "kl", "n_notes"}


@pytest.fixture(scope="module")
def tiny_model(tiny_dataset, tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    train(tiny_dataset, run, TrainConfig(steps=20, latent_dim=8, channels=32, batch_size=4, log_every=10), progress=False)
    return run / "model"


def test_evaluate_reports_every_metric(tiny_model, tiny_dataset, capsys):
    assert main(["evaluate", str(tiny_model), str(tiny_dataset), "--json", "--pitch-notes", "3"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert KEYS <= set(m) and m["n_notes"] == 3 and m["split"] == "test" and m["knn_neighbours"] == "train split"
    assert -60 < m["spectral_convergence_db"] < 20 and m["log_spectral_distance_db"] > 0
    assert 0 <= m["knn_family_accuracy"] <= 1 and 0 <= m["active_latent_dims"] <= 8 and m["kl"] >= 0


def test_dataset_without_split_uses_leave_one_out(tiny_model, tiny_dataset, tmp_path):
    copy = tmp_path / "nosplit"
    shutil.copytree(tiny_dataset, copy, ignore=shutil.ignore_patterns("split.json", "features"))
    m = evaluate(load_model(tiny_model), copy, "test", pitch_notes=2, progress=False)
    assert m["n_notes"] == 15 and m["split"] == "all" and m["knn_neighbours"] == "leave-one-out"


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
    assert card.count("## Evaluation") == 1 and "k-NN family accuracy" in card and card.startswith("# Timbral model card")
    assert card.rstrip().endswith("## Notes\nhand-written")


def test_knn_accuracy_and_pitch_error():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 0.1, (20, 4)), rng.normal(5, 0.1, (20, 4))
    query, labels = np.vstack([a, b]), np.array([0] * 20 + [1] * 20)
    assert knn_accuracy(query, labels) == 1.0
    assert knn_accuracy(query, labels, query[::-1].copy(), labels[::-1].copy()) == 1.0
    assert knn_accuracy(query, labels, query, 1 - labels) == 0.0
    t = np.arange(32000) / 16000
    assert pitch_error_cents(np.sin(2 * np.pi * 440 * t).astype(np.float32), 69, 16000) < 5
    assert pitch_error_cents(np.sin(2 * np.pi * 466.16 * t).astype(np.float32), 69, 16000) == pytest.approx(100, abs=5)


def test_evaluate_bad_input(tiny_model, tiny_dataset, tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nomodel"), str(tiny_dataset)]) == 2
    assert main(["evaluate", str(tiny_model), str(tmp_path / "nodata")]) == 2
    assert main(["evaluate", str(tiny_model), str(tiny_dataset), "--pitch-notes", "-1"]) == 2
    err = capsys.readouterr().err
    assert "no such model folder" in err and "not an NSynth-layout folder" in err
