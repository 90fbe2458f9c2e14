"""Timbral: mix timbres like colours, in a timbre space learnt from single instrument notes.

The package reads as the pipeline: ``audio`` → ``spectral`` → ``data`` → (model, latent) → ``cli``.
"""

__version__ = "0.1.0"
