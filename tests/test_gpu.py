"""scripts/gpu, the recipe for a GPU machine lent for minutes: what it says when it cannot start, and the model it sends
back in parts joined again. (Its whole run, pack here and train on the CPU in place of a GPU, is measured in
docs/benchmarks.md: it renders for minutes.)"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _gpu(tmp_path, *args, env: dict | None = None) -> subprocess.CompletedProcess:
    (tmp_path / "scripts").mkdir(exist_ok=True)
    shutil.copy(ROOT / "scripts" / "gpu", tmp_path / "scripts" / "gpu")  # a checkout with nothing packed
    return subprocess.run([tmp_path / "scripts" / "gpu", *args], capture_output=True, text=True, timeout=120,
                          env=os.environ | (env or {}))


def test_without_a_verb_it_explains_itself(tmp_path):
    done = _gpu(tmp_path)
    assert done.returncode == 2 and "scripts/gpu pack" in done.stdout and "scripts/gpu train" in done.stdout
    assert _gpu(tmp_path, "fly").returncode == 2


def test_train_without_a_pack_says_what_to_do_first(tmp_path):
    done = _gpu(tmp_path, "train")
    assert done.returncode == 1 and "run scripts/gpu pack on Debian first" in done.stderr
    assert not (tmp_path / "runs").exists()


def test_unpack_joins_the_weights_train_sent_back_in_parts(tmp_path):
    """A lent machine sends back files of 16 MiB at most: train splits the 20 MB weights, unpack joins them."""
    sent = tmp_path / "sent"
    sent.mkdir()
    model = ROOT / "models" / "default"
    for name in ("config.json", "card.md", "loss.png"):
        shutil.copy(model / name, sent / name)
    (sent / "log.csv").write_text("step,loss\n1,1.0\n")
    subprocess.run(["split", "-b", "15M", "-d", model / "weights.safetensors", sent / "weights.safetensors.part"], check=True)
    parts = sorted(sent.glob("weights.safetensors.part*"))
    assert len(parts) == 2 and max(p.stat().st_size for p in parts) <= 16 * 2**20
    done = _gpu(tmp_path, "unpack", str(sent), env={"PYTHON": sys.executable})
    assert done.returncode == 0, done.stderr
    assert "a model of 4.9 M parameters" in done.stdout
    joined = tmp_path / "runs" / "gpu" / "model" / "weights.safetensors"
    assert joined.read_bytes() == (model / "weights.safetensors").read_bytes()
    assert _gpu(tmp_path, "unpack", str(tmp_path / "nothing")).returncode == 2
