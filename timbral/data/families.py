"""The NSynth family vocabulary and the tables that map General MIDI programs and drums onto it.

NSynth has eleven instrument families and three sources. Timbral adds ``synth_pad``
(GM pads and atmospheric effects are neither leads nor anything acoustic) as family 11 and
``percussion`` (the drums of a SoundFont's drum kits, :data:`GM_DRUMS`: kicks, snares, toms, hats,
cymbals, hand percussion) as family 12. GM programs 115-127 (unpitched percussion and sound effects)
are not melodic and are not rendered by default.
"""

from __future__ import annotations

FAMILIES = (
    "bass", "brass", "flute", "guitar", "keyboard", "mallet",
    "organ", "reed", "string", "synth_lead", "vocal", "synth_pad", "percussion",
)
# One colour per family, in FAMILIES order, for maps (Okabe-Ito and Tableau tones, told apart in print and on screen).
FAMILY_COLOURS = ("#8c564b", "#e69f00", "#56b4e9", "#009e73", "#0072b2", "#bcbd22",
                  "#cc79a7", "#f0e442", "#7f7f7f", "#e41a1c", "#9467bd", "#17becf", "#3d3d3d")
SOURCES = ("acoustic", "electronic", "synthetic")
QUALITIES = (
    "bright", "dark", "distortion", "fast_decay", "long_release",
    "multiphonic", "nonlinear_env", "percussive", "reverb", "tempo-synced",
)

A, E, S = SOURCES
# program: (GM name, NSynth family, source)
GM_PROGRAMS: dict[int, tuple[str, str, str]] = dict(enumerate([
    ("Acoustic Grand Piano", "keyboard", A), ("Bright Acoustic Piano", "keyboard", A),
    ("Electric Grand Piano", "keyboard", E), ("Honky-tonk Piano", "keyboard", A),
    ("Electric Piano 1", "keyboard", E), ("Electric Piano 2", "keyboard", E),
    ("Harpsichord", "keyboard", A), ("Clavinet", "keyboard", E),
    ("Celesta", "mallet", A), ("Glockenspiel", "mallet", A),
    ("Music Box", "mallet", A), ("Vibraphone", "mallet", A),
    ("Marimba", "mallet", A), ("Xylophone", "mallet", A),
    ("Tubular Bells", "mallet", A), ("Dulcimer", "mallet", A),
    ("Drawbar Organ", "organ", E), ("Percussive Organ", "organ", E),
    ("Rock Organ", "organ", E), ("Church Organ", "organ", A),
    ("Reed Organ", "organ", A), ("Accordion", "reed", A),
    ("Harmonica", "reed", A), ("Tango Accordion", "reed", A),
    ("Acoustic Guitar (nylon)", "guitar", A), ("Acoustic Guitar (steel)", "guitar", A),
    ("Electric Guitar (jazz)", "guitar", E), ("Electric Guitar (clean)", "guitar", E),
    ("Electric Guitar (muted)", "guitar", E), ("Overdriven Guitar", "guitar", E),
    ("Distortion Guitar", "guitar", E), ("Guitar Harmonics", "guitar", E),
    ("Acoustic Bass", "bass", A), ("Electric Bass (finger)", "bass", E),
    ("Electric Bass (pick)", "bass", E), ("Fretless Bass", "bass", E),
    ("Slap Bass 1", "bass", E), ("Slap Bass 2", "bass", E),
    ("Synth Bass 1", "bass", S), ("Synth Bass 2", "bass", S),
    ("Violin", "string", A), ("Viola", "string", A),
    ("Cello", "string", A), ("Contrabass", "string", A),
    ("Tremolo Strings", "string", A), ("Pizzicato Strings", "string", A),
    ("Orchestral Harp", "string", A), ("Timpani", "mallet", A),
    ("String Ensemble 1", "string", A), ("String Ensemble 2", "string", A),
    ("Synth Strings 1", "string", S), ("Synth Strings 2", "string", S),
    ("Choir Aahs", "vocal", A), ("Voice Oohs", "vocal", A),
    ("Synth Voice", "vocal", S), ("Orchestra Hit", "brass", A),
    ("Trumpet", "brass", A), ("Trombone", "brass", A),
    ("Tuba", "brass", A), ("Muted Trumpet", "brass", A),
    ("French Horn", "brass", A), ("Brass Section", "brass", A),
    ("Synth Brass 1", "brass", S), ("Synth Brass 2", "brass", S),
    ("Soprano Sax", "reed", A), ("Alto Sax", "reed", A),
    ("Tenor Sax", "reed", A), ("Baritone Sax", "reed", A),
    ("Oboe", "reed", A), ("English Horn", "reed", A),
    ("Bassoon", "reed", A), ("Clarinet", "reed", A),
    ("Piccolo", "flute", A), ("Flute", "flute", A),
    ("Recorder", "flute", A), ("Pan Flute", "flute", A),
    ("Blown Bottle", "flute", A), ("Shakuhachi", "flute", A),
    ("Whistle", "flute", A), ("Ocarina", "flute", A),
    ("Lead 1 (square)", "synth_lead", S), ("Lead 2 (sawtooth)", "synth_lead", S),
    ("Lead 3 (calliope)", "synth_lead", S), ("Lead 4 (chiff)", "synth_lead", S),
    ("Lead 5 (charang)", "synth_lead", S), ("Lead 6 (voice)", "synth_lead", S),
    ("Lead 7 (fifths)", "synth_lead", S), ("Lead 8 (bass + lead)", "synth_lead", S),
    ("Pad 1 (new age)", "synth_pad", S), ("Pad 2 (warm)", "synth_pad", S),
    ("Pad 3 (polysynth)", "synth_pad", S), ("Pad 4 (choir)", "synth_pad", S),
    ("Pad 5 (bowed)", "synth_pad", S), ("Pad 6 (metallic)", "synth_pad", S),
    ("Pad 7 (halo)", "synth_pad", S), ("Pad 8 (sweep)", "synth_pad", S),
    ("FX 1 (rain)", "synth_pad", S), ("FX 2 (soundtrack)", "synth_pad", S),
    ("FX 3 (crystal)", "synth_pad", S), ("FX 4 (atmosphere)", "synth_pad", S),
    ("FX 5 (brightness)", "synth_pad", S), ("FX 6 (goblins)", "synth_pad", S),
    ("FX 7 (echoes)", "synth_pad", S), ("FX 8 (sci-fi)", "synth_pad", S),
    ("Sitar", "guitar", A), ("Banjo", "guitar", A),
    ("Shamisen", "guitar", A), ("Koto", "guitar", A),
    ("Kalimba", "mallet", A), ("Bagpipe", "reed", A),
    ("Fiddle", "string", A), ("Shanai", "reed", A),
    ("Tinkle Bell", "mallet", A), ("Agogo", "mallet", A),
    ("Steel Drums", "mallet", A), ("Woodblock", None, A),
    ("Taiko Drum", None, A), ("Melodic Tom", None, A),
    ("Synth Drum", None, S), ("Reverse Cymbal", None, S),
    ("Guitar Fret Noise", None, A), ("Breath Noise", None, A),
    ("Seashore", None, A), ("Bird Tweet", None, A),
    ("Telephone Ring", None, E), ("Helicopter", None, A),
    ("Applause", None, A), ("Gunshot", None, A),
]))
MELODIC_PROGRAMS = tuple(p for p, (_, family, _) in GM_PROGRAMS.items() if family is not None)

# The General MIDI percussion map: key -> drum (General MIDI Level 1, keys 35-81 of a drum kit)
GM_DRUMS: dict[int, str] = dict(zip(range(35, 82), [
    "Acoustic Bass Drum", "Bass Drum 1", "Side Stick", "Acoustic Snare", "Hand Clap", "Electric Snare",
    "Low Floor Tom", "Closed Hi-Hat", "High Floor Tom", "Pedal Hi-Hat", "Low Tom", "Open Hi-Hat",
    "Low-Mid Tom", "Hi-Mid Tom", "Crash Cymbal 1", "High Tom", "Ride Cymbal 1", "Chinese Cymbal",
    "Ride Bell", "Tambourine", "Splash Cymbal", "Cowbell", "Crash Cymbal 2", "Vibraslap", "Ride Cymbal 2",
    "Hi Bongo", "Low Bongo", "Mute Hi Conga", "Open Hi Conga", "Low Conga", "High Timbale", "Low Timbale",
    "High Agogo", "Low Agogo", "Cabasa", "Maracas", "Short Whistle", "Long Whistle", "Short Guiro",
    "Long Guiro", "Claves", "Hi Wood Block", "Low Wood Block", "Mute Cuica", "Open Cuica", "Mute Triangle",
    "Open Triangle",
]))
ELECTRONIC_KITS = ("electronic", "808", "power")  # a drum kit whose name holds one of these is an electronic source


def family_ids(names) -> dict[str, int]:
    """Numeric ids for family names: NSynth's own ids, then the rest in sorted order after them."""
    extra = sorted(set(names) - set(FAMILIES))
    return {**{f: i for i, f in enumerate(FAMILIES)}, **{f: len(FAMILIES) + i for i, f in enumerate(extra)}}


def source_id(name: str) -> int:
    return SOURCES.index(name)


def table_markdown() -> str:
    """The GM → NSynth table as Markdown, for the docs (``docs/families.md``)."""
    rows = ["| GM program | name | family | source |", "|---:|---|---|---|"]
    for p, (name, family, source) in GM_PROGRAMS.items():
        rows.append(f"| {p} | {name} | {family or '— (not melodic)'} | {source} |")
    return "\n".join(rows)
