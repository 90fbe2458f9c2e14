"""What a model folder shows a person: loss curves and placement per pitch as pictures one can open."""

import numpy as np
from PIL import Image

from timbral.card import plot_losses, plot_placement_by_pitch


def test_loss_curves_are_a_picture_with_the_high_band_when_trained_on_it(tmp_path):
    log = tmp_path / "log.csv"
    rows = ["step,l1,sc,kl,high,valid_l1,valid_sc,valid_kl,valid_high"]
    rows += [f"{s},{1 / s},{2 / s},{0.1 * s},{0.5 / s}," + (f"{1.1 / s},{2.1 / s},{0.1 * s},{0.6 / s}" if s % 10 == 0 else ",,,")
             for s in range(1, 41)]
    log.write_text("\n".join(rows) + "\n")
    plot_losses(log, tmp_path / "loss.png")
    with Image.open(tmp_path / "loss.png") as png:
        assert png.width > 3 * png.height  # four panels side by side: L1, SC, KL and the high band
    log.write_text("step,l1,sc,kl,valid_l1,valid_sc,valid_kl\n1,1,1,0,1,1,0\n2,0.5,0.5,0.1,,,\n")
    plot_losses(log, tmp_path / "three.png")
    with Image.open(tmp_path / "three.png") as png:
        assert 2 * png.height < png.width < 4 * png.height  # three panels without a high band


def test_placement_per_pitch_marks_the_pitches_never_heard(tmp_path):
    metrics = {"placement_by_pitch": {str(p): (0.5 + 0.01 * (p % 7), 10, p % 12 != 4) for p in range(24, 97)},
               "placement_chance": 0.1, "n_notes": 730, "placement_family_accuracy_heard_pitch": 0.55,
               "placement_family_accuracy_unheard_pitch": 0.52, "held_out_source": "OPL-3_FM_128M.sf2"}
    png = plot_placement_by_pitch(metrics, tmp_path / "placement.png")
    with Image.open(png) as image:
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    orange, blue = np.array([0xE6, 0x9F, 0x00]), np.array([0x00, 0x72, 0xB2])
    assert (np.abs(pixels - orange).sum(axis=1) < 30).sum() > 100 and (np.abs(pixels - blue).sum(axis=1) < 30).sum() > 1000
