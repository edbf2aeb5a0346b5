"""Share a setup: the whole configuration to a small TOML or JSON file and back; the CLI
reads the same file (--config)."""
import pytest

from core.cli import build_parser, config_from_args


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_the_setup_round_trips_through_a_file(qtbot, window, tmp_path, suffix):
    wb = window.workbench
    s = window.setup
    s.init.boxes["batchnorm"].setChecked(False)
    s.init.boxes["fix_w1"].setChecked(False)
    s.model.n_hidden.setValue(64)
    s.model.seed.setValue(7)
    s.training.lr.setValue(0.05)
    s.training.batch_size.setValue(16)
    s.training.max_steps.setValue(12_345)
    saved = s.config()
    path = wb.files.save_setup(tmp_path / f"setup{suffix}")
    text = path.read_text()
    assert "n_hidden" in text and "64" in text and len(text) < 2000      # small and readable
    if suffix == ".toml":
        assert "batchnorm = false" in text and "lr = 0.05" in text

    s.set_config(saved.replace(n_hidden=200, batchnorm=True, lr=0.1, seed=1))
    assert s.config() != saved
    with qtbot.waitSignal(window.run.run_started, timeout=10_000):
        wb.files.load_setup(path)
    assert s.config() == saved and window.run.info.cfg == saved         # the panels and the new run
    assert not s.pending.isVisibleTo(window)

    args = build_parser().parse_args(["--headless", "--config", str(path)])
    assert config_from_args(args) == saved                               # the CLI reads the same file


def test_a_bad_setup_file_is_refused_with_a_message(qtbot, window, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("n_hidden = 'many'\n")
    before = window.setup.config()
    window.workbench.files.open_setup(bad)
    assert "n_hidden" in window.message_bar.text and window.setup.config() == before


def test_a_cuda_setup_runs_on_the_cpu_where_there_is_no_gpu(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setattr("gui.workbench.files.available_devices", lambda: ("cpu",))
    path = tmp_path / "gpu.toml"
    path.write_text('device = "cuda"\nn_hidden = 50\n')
    with qtbot.waitSignal(window.run.run_started, timeout=10_000):
        window.workbench.files.load_setup(path)
    assert window.run.info.cfg.device == "cpu" and window.run.info.cfg.n_hidden == 50
    assert "'cuda'" in window.message_bar.text
