"""Timbral: mix timbres like colours, in a timbre space learnt from single instrument notes.

The package reads as the pipeline: ``audio`` → ``spectral`` → ``data`` → (model, latent) → ``cli``.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    """``from timbral import Timbral`` without importing torch for every command line call."""
    if name == "Timbral":
        from .latent import Timbral

        return Timbral
    raise AttributeError(f"module 'timbral' has no attribute {name!r}")
