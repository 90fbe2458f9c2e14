"""Taking sounds out of Timbral, each in the form the place it goes reads:

- :mod:`~timbral.exports.files`: WAV/FLAC (48 kHz 24-bit, 44.1 kHz on request), ZIP archives, a timbre's SFZ;
- :mod:`~timbral.exports.pictures`: spectrograms and the library's map;
- :mod:`~timbral.exports.morph`: morph instruments (SFZ, DecentSampler, Bitwig), a knob walking a blend;
- :mod:`~timbral.exports.nn`: the live instrument, a TorchScript module that nn~ plays in Max and Pure Data.
"""
