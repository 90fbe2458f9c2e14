"""The code keeps one style: ruff's checks at the line length pinned in pyproject.toml, and the studio's scripts build
the page as DOM."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", "."], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_studio_builds_its_page_as_dom_never_from_html_strings():
    """Text a user or a file brings is shown as text: no script of the studio parses a string as HTML."""
    import re

    static = ROOT / "timbral" / "studio" / "static"
    found = [f"{p.name}:{n}" for p in static.rglob("*.js") for n, line in enumerate(p.read_text().splitlines(), 1)
             if re.search(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function", line)]
    assert not found, found
