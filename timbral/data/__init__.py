"""Datasets in the NSynth layout: reading, SoundFont rendering, importing, splits, feature store."""
