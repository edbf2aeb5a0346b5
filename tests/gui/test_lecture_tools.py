"""The lectures' tools in the window: the learning-rate finder, the gradient check, the
Embedding tab, sample novelty, slow motion and the slow start."""
import numpy as np
import pytest
from window_helpers import WAIT_MS, wait_status

from core.config import Config
from core.data import Dataset
from core.diagnostics.embedding import project
from core.model.novelty import NoveltyIndex
from core.training.trainer import Trainer
from gui.settings import open_settings
from gui.workbench.speed import SLOW_START_KEY, SLOW_START_STEPS


def trained_c(words_path, steps: int, **changes) -> np.ndarray:
    """C after `steps` steps of the same run, trained here without a window."""
    cfg = Config(data=str(words_path), **changes)
    trainer = Trainer(cfg, Dataset.load(str(words_path), cfg.block_size))
    trainer.train(steps)
    return trainer.model.C.detach().numpy()


def test_the_finder_sweeps_a_copy_and_apply_sets_the_live_rate(qtbot, make_window):
    window = make_window(engine="exact")
    window.control.step(50)
    wait_status(qtbot, window, lambda s: s.step == 50)
    finder = window.tools.open_finder()

    def found():
        assert finder.apply_button.isEnabled()
        assert finder.curve is not None and finder.curve.suggestion is not None
    qtbot.waitUntil(found, timeout=60_000)
    curve = finder.curve
    assert len(curve.lrs) == len(curve.losses) == len(curve.smoothed) > 100
    assert "Suggested learning rate" in finder.verdict.text() and len(finder.marks) == 3
    # the run itself did not move: the finder worked on a copy
    assert window.run.status.step == 50 and window.run.status.lr == 0.1
    lr = curve.suggestion.lr
    finder.apply_button.click()
    wait_status(qtbot, window, lambda s: s.cfg.lr == pytest.approx(lr, rel=1e-3))
    assert window.run.status.step == 50


def test_the_gradient_check_window_lists_the_exact_engines_rows(qtbot, make_window):
    window = make_window(engine="exact", batch_size=16)
    window.control.step(5)
    wait_status(qtbot, window, lambda s: s.step == 5)
    dialog = window.tools.open_grad_check()
    def check():
        assert len(dialog.checks) >= 1
    qtbot.waitUntil(check, timeout=WAIT_MS)
    rows = [[dialog.table.item(i, j).text() for j in range(6)] for i in range(dialog.table.rowCount())]
    exact = [r for r in rows if r[0] == "exact"]
    assert [r[1] for r in exact] == ["h", "W2", "b2", "bngain", "bnbias", "W1", "b1", "C"]
    assert all(r[2:5] == ["True", "True", "0"] for r in exact)
    fast = {r[1]: r for r in rows if r[0] == "fast"}       # the kernel's own: parameters and what it keeps
    assert {"logits", "h", "hprebn", "W1", "C"} <= set(fast) and all(r[2] == "False" for r in fast.values())
    assert float(fast["W1"][5]) < 1e-5
    assert dialog.checks[0].dlogits.shape == (16, len(window.run.info.vocab))
    assert "At step 5" in dialog.caption.text()


@pytest.mark.parametrize("n_embed", [2, 10])
def test_the_embedding_tab_draws_c_or_its_principal_components_at_the_frames_step(qtbot, make_window, words_path,
                                                                                   n_embed):
    window = make_window(engine="exact", n_embed=n_embed)
    window.control.step(37)
    wait_status(qtbot, window, lambda s: s.step == 37)
    view = window.tools.embedding
    window.tabs.setCurrentWidget(view)

    def drawn():
        assert view.step == 37
    qtbot.waitUntil(drawn, timeout=WAIT_MS)
    x, y = view.scatter.getData()
    expected = project(trained_c(words_path, 37, engine="exact", n_embed=n_embed)).points
    assert np.allclose(np.column_stack([x, y]), expected, atol=1e-6)
    assert [label.toPlainText() for label in view.labels] == list(window.run.info.vocab)
    axis = window.tools.embedding.plot.getPlotItem().getAxis("bottom").labelText
    assert axis == ("C[:, 0]" if n_embed == 2 else f"PC1 ({view.projection.variance_share[0]:.0%} of the variance)")
    point = view.scatter.points()[1]           # hovering 'a' lists its nearest neighbours
    view.scatter.sigHovered.emit(view.scatter, [point], None)
    assert view.neighbours.text().startswith(f"'{window.run.info.vocab[1]}' is nearest ")


def test_sampled_names_are_tagged_against_the_runs_splits(qtbot, make_window, words_path):
    window = make_window()
    window.control.step(300)
    wait_status(qtbot, window, lambda s: s.step == 300)
    window.samples.count.setValue(40)
    window.sample_action.trigger()
    novelty = window.tools.novelty

    def tagged():
        assert len(novelty.tags()) == 40
    qtbot.waitUntil(tagged, timeout=WAIT_MS)
    words = [w for w in words_path.read_text().splitlines() if w]
    index = NoveltyIndex.of(words)
    assert novelty.tags() == index.tags([s.text for s in window.samples.samples])
    assert novelty.summary.text().startswith("in train ")
    # the names themselves are as before: the tag is drawn beside them
    assert [window.samples.names.item(i).text() for i in range(40)] == [
        s.notebook_line for s in window.samples.samples]


def steps_drawn(window) -> list[int]:
    """The step of every snapshot the window draws from now on."""
    seen: list[int] = []
    window.run.snapshot_changed.connect(lambda s: s is not None and seen.append(s.step))
    return seen


def test_slow_motion_draws_every_step(qtbot, window):
    window.tools.speed.set_pace(25.0)
    seen = steps_drawn(window)
    window.control.start()
    def check():
        assert len(seen) >= 40
    qtbot.waitUntil(check, timeout=WAIT_MS)
    window.control.pause()
    assert seen[:40] == list(range(40))
    assert "every step drawn" in window.tools.speed.label.text()


def test_flat_out_skips_steps_between_frames(qtbot, window):
    seen = steps_drawn(window)
    window.control.start()
    wait_status(qtbot, window, lambda s: s.step >= 3000)
    window.control.pause()
    assert len(seen) < window.run.status.step      # the slider's other end: most steps never drawn


def test_a_fresh_windows_first_run_starts_slow_then_speeds_up(qtbot, make_window):
    settings = open_settings()
    settings.remove(SLOW_START_KEY)          # as on a machine that never ran the app
    settings.sync()
    window = make_window()
    assert window.tools.slow_start_action.isChecked()
    seen = steps_drawn(window)
    window.control.start()
    wait_status(qtbot, window, lambda s: s.step >= SLOW_START_STEPS + 2000)
    window.control.pause()
    assert seen[:SLOW_START_STEPS] == list(range(SLOW_START_STEPS))
    assert window.tools.speed.label.text() == "flat out"


def test_every_plot_says_what_healthy_looks_like(qtbot, window):
    plots = window.workbench.plots()
    lines = window.tools.healthy
    assert set(lines) == set(plots)             # a new plot needs its line in gui/workbench/healthy.py
    window.tabs.setCurrentIndex(0)
    for name in ("Loss", "tanh input (hpreact)", "tanh output (h)", "Saturation"):   # the Live tab, on screen
        label = lines[name]
        assert label.isVisible() and label.text.startswith("Healthy: ")
    assert "uniform guess" in lines["Loss"].text
    assert "1e-3" in lines["Update ratio"].text
    guides = [g.toPlainText() if hasattr(g, "toPlainText") else g.format for g in window.tools.guide_labels]
    assert sum("1e-3" in g for g in guides) == 2 and any("0.99" in g for g in guides)
