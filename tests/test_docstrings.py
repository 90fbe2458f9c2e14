"""The examples in docstrings run and print what they say."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["timbral.pitch", "timbral.progress", "timbral.data.nsynth", "timbral.data.notes",
                                    "timbral.data.render", "timbral.settings", "timbral.paths", "timbral.metrics",
                                    "timbral.audio", "timbral.spectral", "timbral.latent",
                                    "timbral.data.synth", "timbral.data.voices", "timbral.data.stk"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
