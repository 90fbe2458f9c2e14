"""What both renderers share: number lists, each instrument's own pitches, the render report."""

from collections import Counter

import pytest

from timbral.data.notes import RenderReport, parse_numbers, spread_pitches


@pytest.mark.parametrize("text,expected", [
    ("48,60,72", (48, 60, 72)), ("24:30:2", (24, 26, 28, 30)), ("60, 24:26", (24, 25, 26, 60)), ([3, 1], (1, 3)),
])
def test_parse_numbers(text, expected):
    assert parse_numbers(text, 0, 127, "pitches") == expected


@pytest.mark.parametrize("text,message", [
    ("", "no values"), ("200", "outside"), ("a,b", "not a number"), ("60:40", "start <= end"),
    ("1:2:3:4", "too many"), ("24:96:0", "positive step"), ("-1", "outside"),
])
def test_parse_numbers_rejects(text, message):
    with pytest.raises(ValueError, match=message):
        parse_numbers(text, 0, 127, "pitches")


def test_spread_pitches_cover_the_range_one_in_each_stretch():
    pitches = spread_pitches(24, 96, 8, "flute_acoustic_x_073")
    assert len(pitches) == 8 and pitches == tuple(sorted(pitches)) and 24 <= pitches[0] and pitches[-1] <= 96
    edges = [24 + round(i * 73 / 8) for i in range(9)]
    assert all(edges[i] <= p < edges[i + 1] for i, p in enumerate(pitches))  # one in each eighth of the range
    assert spread_pitches(24, 96, 8, "flute_acoustic_x_073") == pitches  # seeded by the instrument
    assert spread_pitches(24, 96, 8, "flute_acoustic_x_073", seed=1) != pitches
    assert spread_pitches(24, 96, 8, "flute_acoustic_y_073") != pitches
    assert spread_pitches(60, 62, 8, "tiny range") == (60, 61, 62)
    assert spread_pitches(60, 60, 1, "one") == (60,)


def test_many_instruments_together_play_every_semitone_many_times():
    counts = Counter(p for i in range(200) for p in spread_pitches(24, 96, 8, f"instrument_{i}"))
    assert set(counts) == set(range(24, 97)) and min(counts.values()) >= 8


@pytest.mark.parametrize("args", [(24, 96, 0, "x"), (96, 24, 8, "x"), (24, 130, 8, "x"), (24, 96, 2.5, "x")])
def test_spread_pitches_refuses_what_cannot_be_played(args):
    with pytest.raises(ValueError, match="pitches"):
        spread_pitches(*args)


def test_reports_merge():
    a, b = RenderReport(), RenderReport()
    a.written["n1"] = {"note_str": "n1"}
    b.written["n2"] = {"note_str": "n2"}
    b.dropped["silent"] += 2
    b.missing_presets.append("font@0:3")
    assert a.merge(b) is a and set(a.written) == {"n1", "n2"} and a.dropped["silent"] == 2
    assert a.lines() == ["wrote 2 notes", "dropped 2 silent renders", "skipped 1 programs the SoundFonts lack: font@0:3"]
