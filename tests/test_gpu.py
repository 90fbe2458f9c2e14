"""scripts/gpu, the recipe for a GPU machine lent for minutes: what it says when it cannot start. (Its whole run, pack here
and train on the CPU in place of a GPU, is measured in docs/benchmarks.md: it renders for minutes.)"""

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _gpu(tmp_path, *args) -> subprocess.CompletedProcess:
    (tmp_path / "scripts").mkdir(exist_ok=True)
    shutil.copy(ROOT / "scripts" / "gpu", tmp_path / "scripts" / "gpu")  # a checkout with nothing packed
    return subprocess.run([tmp_path / "scripts" / "gpu", *args], capture_output=True, text=True, timeout=60)


def test_without_a_verb_it_explains_itself(tmp_path):
    done = _gpu(tmp_path)
    assert done.returncode == 2 and "scripts/gpu pack" in done.stdout and "scripts/gpu train" in done.stdout
    assert _gpu(tmp_path, "fly").returncode == 2


def test_train_without_a_pack_says_what_to_do_first(tmp_path):
    done = _gpu(tmp_path, "train")
    assert done.returncode == 1 and "run scripts/gpu pack on Debian first" in done.stderr
    assert not (tmp_path / "runs").exists()
