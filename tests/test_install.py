"""A wheel (``pip install .``, not editable) carries the default model and the studio's page."""

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds a wheel

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_in_a_fresh_environment_loads_the_default_model(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp_path / "wheel",
                    ROOT], check=True, capture_output=True)
    wheel = next((tmp_path / "wheel").glob("timbral-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "venv"], check=True)
    python = tmp_path / "venv" / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], check=True,
                               capture_output=True, text=True).stdout.strip())
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, wheel], check=True,
                   capture_output=True)
    # Timbral's dependencies (torch and the rest) come from this environment; Timbral itself only from the wheel
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    code = ("import timbral, timbral.model as m, timbral.model_folder as f, timbral.paths as d, timbral.studio as s, pathlib;"
            "model = m.load_model(); p = f.default_model_path();"
            "print(p); print(d.default_data_dir()); print(model.config.latent_dim);"
            "print((pathlib.Path(s.__file__).parent / 'static' / 'app.js').is_file()"
            " and (pathlib.Path(s.__file__).parent / 'static' / 'js' / 'explore.js').is_file())")
    out = subprocess.run([python, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "share")})
    assert out.returncode == 0, out.stderr
    model_path, data_dir, latent_dim, page = out.stdout.split()
    assert Path(model_path).is_relative_to(site) and (Path(model_path) / "weights.safetensors").is_file()
    assert Path(data_dir) == tmp_path / "share" / "timbral" / "data" / "default"  # not inside site-packages
    shipped = json.loads((ROOT / "models" / "default" / "config.json").read_text())["model"]
    assert int(latent_dim) == shipped["latent_dim"] and page == "True"  # the shipped model, not another
