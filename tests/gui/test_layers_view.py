"""The Layers view: the lecture's four figures and the saturation heat-map, from real snapshots."""
import numpy as np
import pytest

from core.config import Config
from core.data import Dataset
from core.presets import preset_config
from core.training.trainer import Trainer
from gui.workbench.layers_view import GUIDE_LOG10, LayersView, activation_lines, gradient_lines, weight_line

# The offscreen platform says so whenever a top-level widget with a layout is shown.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture(scope="module")
def dataset(words_path):
    return Dataset.load(str(words_path), 3)


@pytest.fixture
def view(qtbot):
    v = LayersView()
    qtbot.addWidget(v)
    v.resize(900, 700)
    v.show()
    return v


def snapshots(dataset, cfg, every=5, n=4):
    trainer = Trainer(cfg.replace(max_steps=every * n), dataset)
    out = []
    for _ in range(n):
        trainer.train(every)
        out.append(trainer.snapshot())
    return out


def test_one_curve_per_layer_with_the_snapshots_numbers(view, dataset):
    snap = snapshots(dataset, preset_config("lecture-deep"), n=1)[0]
    view.show_snapshot(snap)
    for fig, items in ((view.activations, snap.layers), (view.gradients, snap.layers), (view.weights, snap.weights)):
        assert len(fig.curves) == len(items)
    assert len(view.activations.curves) == 5 and len(view.weights.curves) == 7
    for curve, s in zip(view.activations.curves, snap.layers, strict=True):
        x, y = curve.getData()
        assert x.shape == y.shape == (100,)
        assert np.array_equal(x, s.edges[:-1]) and np.array_equal(y, s.hist)
    for curve, s in zip(view.gradients.curves, snap.layers, strict=True):
        assert np.array_equal(curve.getData()[1], s.grad_hist)
    assert view.activations.legend_lines == activation_lines(snap.layers)
    first = snap.layers[0]
    assert view.activations.legend_lines[0] == (f"hidden layer 1 of 5 [2 Tanh]: mean {first.mean:+.2f}, "
                                                f"std {first.std:.2f}, "
                                                f"saturated {first.saturated_pct:.2f}%")
    assert view.gradients.legend_lines == gradient_lines(snap.layers)
    assert view.weights.legend_lines == [weight_line(w) for w in snap.weights]
    assert "W1 (30, 100)" in view.weights.legend_lines[1]
    assert f"{snap.weights[1].grad_data_ratio:.3e}" in view.weights.legend.text()
    assert not view.grab().isNull()      # and it paints


def test_update_ratios_and_saturation_follow_the_run(view, dataset):
    snaps = snapshots(dataset, preset_config("no-bn-gain-3"), n=4)
    for s in snaps:
        view.show_snapshot(s)
    assert view.guide.value() == GUIDE_LOG10 == -3
    steps = [s.step for s in snaps]
    assert len(view.updates.curves) == 7
    for j, curve in enumerate(view.updates.curves):
        x, y = curve.getData()
        assert list(x) == steps
        assert np.allclose(y, [s.weights[j].update_log10 for s in snaps])
    sat = view.saturation.values
    assert sat.shape == (5, 4)                      # layers x snapshots
    assert np.allclose(sat[:, -1], [s.saturated_pct for s in snaps[-1].layers])
    assert sat.mean() > 40                          # gain 3 without BatchNorm: saturated


def test_a_step_taken_back_and_a_new_architecture_reset_what_no_longer_belongs(view, dataset):
    snaps = snapshots(dataset, preset_config("lecture-deep"), n=3)
    for s in snaps:
        view.show_snapshot(s)
    view.show_snapshot(snaps[1])        # the run went back (divergence): later frames are dropped
    assert list(view.updates.curves[0].getData()[0]) == [snaps[0].step, snaps[1].step]
    one = snapshots(dataset, Config(n_hidden=20), n=1)[0]
    view.show_snapshot(one)
    assert len(view.activations.curves) == 1 and len(view.weights.curves) == 3    # C, W1, W2
    assert view.saturation.values.shape == (1, 1)
    view.clear_run()
    assert view.activations.curves == [] and view.activations.legend_lines == []
