"""Atomic writes: a file appears complete or not at all, and a failed write leaves the old one as it was."""

import json
import os

import pytest

from timbral.atomic import atomic_path, write_json


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "deep" / "er" / "notes.json"
    write_json(path, {"b": 1, "a": [1.5, "é"]})
    before = path.read_bytes()
    assert json.loads(before) == {"a": [1.5, "é"], "b": 1} and oct(os.stat(path).st_mode & 0o777) == "0o644"
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half of a fi")
        raise RuntimeError("the disk filled up")
    assert path.read_bytes() == before and sorted(p.name for p in path.parent.iterdir()) == ["notes.json"]


def test_the_same_object_writes_the_same_bytes(tmp_path):
    a, b = write_json(tmp_path / "a.json", {"x": 1, "y": 2}), write_json(tmp_path / "b.json", {"y": 2, "x": 1})
    assert a.read_bytes() == b.read_bytes()
    with pytest.raises(TypeError):
        write_json(tmp_path / "c.json", {"x": object()})  # not JSON: nothing is written
    assert not (tmp_path / "c.json").exists() and len(list(tmp_path.iterdir())) == 2
