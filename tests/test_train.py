"""Training on tiny data: outputs, resume after a kill, two-process DDP, bad input."""

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from timbral.cli import main
from timbral.data import features
from timbral.data.features import HeldRows, feature_store
from timbral.model import load_model
from timbral.train import Partners, TrainConfig, batch_rows, train

# a one-stage spectrogram model: the mechanics of training, not the default recipe's two stages
TINY = ["--latent-dim", "8", "--channels", "32", "--batch-size", "4", "--log-every", "5", "--valid-every", "10",
        "--synthesis", "spectrogram"]
TINY_CFG = dict(latent_dim=8, channels=32, batch_size=4, log_every=5, valid_every=10, synthesis="spectrogram")


def weights(run: Path) -> dict:
    return load_file(str(run / "model" / "weights.safetensors"))


@pytest.mark.slow
def test_training_writes_log_curves_checkpoint_and_a_loadable_model(tiny_dataset, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(tiny_dataset), "--out", str(run), "--steps", "30", *TINY]) == 0
    rows = list(csv.DictReader((run / "log.csv").open()))
    assert [int(r["step"]) for r in rows] == [5, 10, 15, 20, 25, 30]
    assert all(np.isfinite(float(r["loss"])) for r in rows) and rows[1]["valid_sc"] != ""
    assert float(rows[-1]["l1"]) < float(rows[0]["l1"])  # it learns
    assert (run / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    checkpoint = torch.load(run / "checkpoint.pt", weights_only=True)
    assert checkpoint["step"] == 30
    model = load_model(run / "model")
    assert model.config.latent_dim == 8 and model.config.n_families == 9  # highest family id in the tiny set is 8 (string)
    card = (run / "model" / "card.md").read_text()
    assert "steps: 30 of 30" in card and "by instrument" in card and "min on cpu" in card
    assert "model written to" in capsys.readouterr().out


def test_a_model_whose_encoder_hears_mel_bands_trains_and_says_so(tiny_dataset, tmp_path):
    run = tmp_path / "mel"
    assert main(["train", str(tiny_dataset), "--out", str(run), "--steps", "20", "--encoder-mel", "48", *TINY]) == 0
    rows = list(csv.DictReader((run / "log.csv").open()))
    assert float(rows[-1]["l1"]) < float(rows[0]["l1"])
    model = load_model(run / "model")
    assert model.config.encoder_mel == 48 and model.encoder.convs[0].in_channels == 48 + model.config.spectral_settings.n_high_bands
    assert "| encoder_mel | 48 |" in (run / "model" / "card.md").read_text()


def test_a_decoder_trained_on_a_kept_encoder_leaves_every_sound_where_it_was(tiny_dataset, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["train", str(tiny_dataset), "--out", str(first), "--steps", "10", *TINY]) == 0
    assert main(["train", str(tiny_dataset), "--out", str(second), "--steps", "20", "--encoder-from", str(first / "model"),
                 "--lr", "3e-3", "--family-weight", "0", "--contrastive-weight", "0", *TINY]) == 0
    old, new = load_model(first / "model"), load_model(second / "model")
    for name, tensor in old.encoder.state_dict().items():
        assert torch.equal(tensor, new.encoder.state_dict()[name]), name
    assert not torch.equal(old.decoder.out.weight, new.decoder.out.weight)  # the voice is new
    assert new.config.input_level_db == old.config.input_level_db and new.family_head is None
    store = feature_store(tiny_dataset, progress=False)
    batch = store.load_batch(np.array(store.positions("test"))[:4], old.config.scale)
    with torch.no_grad():
        assert torch.equal(old.encode(batch["spec"], batch["pitch"])[0], new.encode(batch["spec"], batch["pitch"])[0])
    rows = list(csv.DictReader((second / "log.csv").open()))
    assert float(rows[-1]["l1"]) < float(rows[0]["l1"])  # the decoder learns on what the kept encoder hears
    assert f"| encoder_from | {first / 'model'} |" in (second / "model" / "card.md").read_text()


def test_a_kept_encoder_that_hears_otherwise_is_refused_before_training(tiny_dataset, tiny_model, tmp_path, capsys):
    first = tmp_path / "first"
    assert main(["train", str(tiny_dataset), "--out", str(first), "--steps", "5", *TINY]) == 0
    capsys.readouterr()
    args = ["train", str(tiny_dataset), "--steps", "5"]
    assert main([*args, "--out", str(tmp_path / "a"), "--encoder-from", str(tmp_path / "nowhere"), *TINY]) == 2
    assert "no such model folder" in capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "b"), "--encoder-from", str(first / "model"), *TINY[2:]]) == 2
    assert "latent_dim (8 there, 32 here)" in capsys.readouterr().err  # a latent of another size
    assert main([*args, "--out", str(tmp_path / "c"), "--encoder-from", str(tiny_model), *TINY]) == 2
    assert "encoder_range_db (75.0 there, 55.0 here)" in capsys.readouterr().err  # a wider window: other notes heard
    (tmp_path / "cfg.json").write_text('{"encoder_from": 3}')
    assert main([*args, "--out", str(tmp_path / "d"), "--config", str(tmp_path / "cfg.json")]) == 2
    assert "encoder_from must be a model folder's path" in capsys.readouterr().err
    assert not any((tmp_path / d / "checkpoint.pt").exists() for d in "abcd")


def test_a_two_stage_run_trains_the_space_then_the_voice_on_it_and_resumes_between_them(tiny_dataset, tmp_path, capsys):
    run = tmp_path / "two"
    args = ["train", str(tiny_dataset), "--out", str(run), *TINY, "--synthesis", "audio", "--encoder-steps", "10",
            "--encoder-batch-size", "8", "--lr", "3e-3"]
    assert main([*args, "--steps", "10"]) == 0
    space, voice = load_model(run / "encoder" / "model"), load_model(run / "model")
    assert space.config.synthesis == "spectrogram" and voice.config.synthesis == "audio"
    for name, tensor in space.encoder.state_dict().items():
        assert torch.equal(tensor, voice.encoder.state_dict()[name]), name  # the voice's encoder is the space's, untouched
    assert voice.config.input_level_db == space.config.input_level_db
    assert "| batch_size | 8 |" in (run / "encoder" / "model" / "card.md").read_text()
    card = (run / "model" / "card.md").read_text()
    assert "10 steps of 8" in card and "(both stages)" in card and "| encoder_from | None |" in card
    rows = list(csv.DictReader((run / "log.csv").open()))
    first = list(csv.DictReader((run / "encoder" / "log.csv").open()))
    assert float(rows[0]["seconds"]) >= float(first[-1]["seconds"])  # the run's time counts both stages
    assert float(rows[-1]["audio"]) < float(rows[0]["audio"])  # the voice learns

    # stopped between the stages: a resume keeps the space and trains the voice
    shutil.rmtree(run / "model")
    (run / "checkpoint.pt").unlink()
    (run / "log.csv").unlink()
    kept = (run / "encoder" / "model" / "weights.safetensors").stat().st_mtime_ns
    assert main(["train", str(tiny_dataset), "--out", str(run), "--resume"]) == 0
    assert (run / "encoder" / "model" / "weights.safetensors").stat().st_mtime_ns == kept
    again = load_model(run / "model")
    assert all(torch.allclose(t, again.state_dict()[k], atol=1e-6) for k, t in voice.state_dict().items())

    capsys.readouterr()
    assert main([*args, "--steps", "10"]) == 2
    assert "already holds a run" in capsys.readouterr().err
    # a run that has its encoder, or is a spectrogram model, has no first stage, and its card says so
    assert main(["train", str(tiny_dataset), "--out", str(tmp_path / "a"), "--steps", "2", *TINY, "--encoder-steps", "10"]) == 0
    assert main([*args[:3], str(tmp_path / "b"), *args[4:], "--steps", "2", "--encoder-from", str(run / "model")]) == 0
    for folder in "ab":
        assert not (tmp_path / folder / "encoder").exists()
        assert "| encoder_steps | 0 |" in (tmp_path / folder / "model" / "card.md").read_text()


def test_a_run_out_of_time_before_its_first_log_row_still_logs_and_exports(tiny_dataset, tmp_path):
    run = tmp_path / "hasty"
    assert main(["train", str(tiny_dataset), "--out", str(run), "--steps", "30", "--max-minutes", "1e-9", *TINY]) == 0
    rows = list(csv.DictReader((run / "log.csv").open()))
    assert [int(r["step"]) for r in rows] == [1] and np.isfinite(float(rows[0]["loss"]))
    assert (run / "loss.png").is_file() and load_model(run / "model") is not None
    assert "steps: 1 of 30" in (run / "model" / "card.md").read_text()


def test_training_notes_are_read_into_memory_when_they_fit(tiny_dataset, monkeypatch):
    store = feature_store(tiny_dataset, progress=False)
    rows = np.array(store.positions("train"))
    held = store.holding(rows, progress=False)
    assert isinstance(held.specs, HeldRows) and len(held.specs.data) == len(rows)
    np.testing.assert_array_equal(held.read(rows[::-1]), store.read(rows[::-1]))  # same rows, same numbers
    assert held.load_batch(rows[:3])["spec"].equal(store.load_batch(rows[:3])["spec"])
    with pytest.raises(IndexError, match="not held in memory"):
        held.read([store.positions("test")[0]])
    monkeypatch.setattr(features, "available_memory", lambda: 3 * len(rows) * store.specs[0].nbytes)
    assert isinstance(store.holding(rows, progress=False).specs, HeldRows)  # a third of the free memory: held
    assert store.holding(rows, progress=False, copies=2).specs is store.specs  # two processes' copies: memory-mapped


def test_a_run_that_cannot_compile_goes_on_uncompiled_and_trains_the_same(tiny_dataset, tmp_path, monkeypatch):
    """Without a working C++ compiler torch.compile fails at the first step; the run warns and trains on."""
    from torch._inductor import config as inductor

    monkeypatch.setattr("timbral.train.COMPILE_FROM_STEPS", 1)
    no_compiler = {"cpp.cxx": (None, str(tmp_path / "no-such-g++")), "fx_graph_cache": False}  # a cached graph needs none
    with inductor.patch(no_compiler), pytest.warns(UserWarning, match="training goes on uncompiled"):
        train(tiny_dataset, tmp_path / "tried", TrainConfig(steps=4, **TINY_CFG), progress=False)
    train(tiny_dataset, tmp_path / "plain", TrainConfig(steps=4, **TINY_CFG), progress=False, compile=False)
    assert "torch.compile" not in (tmp_path / "tried" / "model" / "card.md").read_text()
    tried, plain = weights(tmp_path / "tried"), weights(tmp_path / "plain")
    assert all(torch.equal(tried[k], plain[k]) for k in plain)
    torch._dynamo.reset()


@pytest.mark.slow
def test_a_compiled_run_trains_what_an_uncompiled_one_does(tiny_dataset, tmp_path, monkeypatch):
    from torch._inductor import config as inductor

    monkeypatch.setattr("timbral.train.COMPILE_FROM_STEPS", 1)
    with inductor.patch(fallback_random=False):  # train() sets it; the patch puts it back after
        train(tiny_dataset, tmp_path / "compiled", TrainConfig(steps=4, **TINY_CFG), progress=False)
    torch._dynamo.reset()
    train(tiny_dataset, tmp_path / "plain", TrainConfig(steps=4, **TINY_CFG), progress=False, compile=False)
    assert "torch.compile" in (tmp_path / "compiled" / "model" / "card.md").read_text()
    compiled, plain = weights(tmp_path / "compiled"), weights(tmp_path / "plain")
    assert all(torch.allclose(compiled[k], plain[k], rtol=1e-3, atol=1e-5) for k in plain)
    assert any(not torch.equal(compiled[k], plain[k]) for k in plain)  # it did run compiled code: rounding differs


@pytest.mark.slow
def test_kill_and_resume_gives_the_uninterrupted_result(tiny_dataset, tmp_path):
    straight = tmp_path / "straight"
    train(tiny_dataset, straight, TrainConfig(steps=40, checkpoint_every=10, **TINY_CFG), progress=False)

    killed = tmp_path / "killed"
    cmd = [sys.executable, "-m", "timbral.cli", "train", str(tiny_dataset), "--out", str(killed), "--steps", "40",
           "--checkpoint-every", "10", *TINY]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not (killed / "checkpoint.pt").exists():
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    step = torch.load(killed / "checkpoint.pt", weights_only=True)["step"]  # loads: never half-written
    assert 10 <= step < 40 and not (killed / "model").exists()
    assert main(["train", str(tiny_dataset), "--out", str(killed), "--resume"]) == 0
    a, b = weights(straight), weights(killed)
    assert a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    logged = [int(r["step"]) for r in csv.DictReader((killed / "log.csv").open())]
    assert logged == sorted(set(logged)) and logged[-1] == 40


@pytest.mark.slow
def test_two_process_ddp_with_gloo_agrees(tiny_dataset, tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(
        "import sys, torch, torch.distributed as dist\n"
        "from timbral.train import train, TrainConfig\n"
        "import os\n"
        f"m = train(sys.argv[1], sys.argv[2], TrainConfig(steps=12, **{TINY_CFG!r}), progress=False)\n"
        "flat = torch.cat([p.detach().flatten() for p in m.parameters()])\n"
        "torch.save(flat, sys.argv[2] + f'/rank{os.environ[\"RANK\"]}.pt')\n"
    )
    torchrun = Path(sys.executable).parent / "torchrun"
    run = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([str(torchrun), "--nproc_per_node", "2", "--master_port", "29517", str(script), str(tiny_dataset), str(run)],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    r0, r1 = torch.load(run / "rank0.pt"), torch.load(run / "rank1.pt")
    assert torch.equal(r0, r1)  # gradients all-reduced: both processes hold the same model
    assert load_model(run / "model") is not None and (run / "log.csv").exists()


def test_batches_are_a_function_of_the_step():
    rows = np.arange(10)
    first = np.concatenate([batch_rows(rows, s, 4, seed=0) for s in range(5)])
    assert sorted(first[:10].tolist()) == list(range(10))  # one epoch is a permutation
    assert np.array_equal(batch_rows(rows, 3, 4, 0), batch_rows(rows, 3, 4, 0))
    halves = np.concatenate([batch_rows(rows, 3, 4, 0, rank=r, world=2) for r in (0, 1)])
    assert sorted(halves.tolist()) == sorted(batch_rows(rows, 3, 4, 0).tolist())


def test_partners_are_other_pitches_of_the_same_instrument(tiny_dataset):
    from timbral.data.features import feature_store

    store = feature_store(tiny_dataset, progress=False)
    rows = np.array(store.positions("train"))
    partners = Partners(store, rows)
    picked = partners.pick(rows, seed=0, step=3)
    for r, q in zip(rows, picked):
        assert store.index[q]["instrument_str"] == store.index[r]["instrument_str"]
        assert store.index[q]["pitch"] != store.index[r]["pitch"]
    assert np.array_equal(picked, partners.pick(rows, seed=0, step=3))  # a function of the step: resumable
    lonely = Partners(store, rows[:1])
    assert lonely.pick(rows[:1], 0, 0).tolist() == rows[:1].tolist()  # an instrument of one note is its own partner


def test_bad_training_input(tiny_dataset, tmp_path, capsys):
    assert main(["train", str(tmp_path / "nothing"), "--out", str(tmp_path / "r")]) == 2
    assert main(["train", str(tiny_dataset), "--out", str(tmp_path / "r"), "--batch-size", "64"]) == 2
    assert main(["train", str(tiny_dataset), "--out", str(tmp_path / "r2"), "--resume"]) == 2
    assert main(["train", str(tiny_dataset), "--out", str(tmp_path / "r3"), "--lr", "-1"]) == 2
    assert main(["train", str(tiny_dataset), "--out", str(tmp_path / "r3"), "--lr", "nan"]) == 2
    assert main(["train", str(tiny_dataset), "--out", str(tmp_path / "r3"), "--cross-pitch", "1.5"]) == 2
    assert main(["train", str(tiny_dataset), "--out", str(tmp_path / "r3"), "--noise-floor", "2"]) == 2
    assert main(["train", str(tiny_dataset), "--out", str(tmp_path / "r3"), "--colour", "-0.5"]) == 2
    assert main(["train", str(tiny_dataset), "--out", str(tmp_path / "r3"), "--encoder-range-db", "5"]) == 2
    assert main(["train", str(tiny_dataset), "--out", str(tmp_path / "r3"), "--batch-size", "3"]) == 2
    assert main(["train", str(tiny_dataset), "--out", str(tmp_path / "r3"), "--encoder-mel", "500"]) == 2
    assert main(["train", str(tiny_dataset), "--out", str(tmp_path / "r3"), "--encoder-mel", "64", "--encoder-relative"]) == 2
    bad_config = tmp_path / "cfg.json"
    bad_config.write_text('{"stepz": 3}')
    assert main(["train", str(tiny_dataset), "--out", str(tmp_path / "r4"), "--config", str(bad_config)]) == 2
    bad_config.write_text("[1]")
    assert main(["train", str(tiny_dataset), "--out", str(tmp_path / "r4"), "--config", str(bad_config)]) == 2
    err = capsys.readouterr().err
    for message in ("not an NSynth-layout folder", "fewer than one batch", "nothing to resume", "lr must be", "unknown training settings",
                    "JSON object", "cross_pitch is a share", "noise_floor is a share", "colour must be",
                    "encoder_range_db must be 20-120 dB", "must divide among 1 processes in pairs",
                    "encoder_mel must be 0 (the bins) or up to 128 mel bands", "leave it off with encoder_mel"):
        assert message in err, message
    run = tmp_path / "twice"
    assert main(["train", str(tiny_dataset), "--out", str(run), "--steps", "2", *TINY]) == 0
    assert main(["train", str(tiny_dataset), "--out", str(run), "--steps", "2", *TINY]) == 2
    assert "already holds a run" in capsys.readouterr().err
