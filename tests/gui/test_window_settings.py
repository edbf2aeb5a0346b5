"""Panel values, the dataset and sampling settings outlive the window; --data wins."""
from window_helpers import wait_status

from core.config import Config
from gui.app import initial_config, parse_args
from gui.settings import open_settings


def test_panel_values_are_remembered(qtbot, make_window, words_path):
    first = make_window(n_hidden=64)
    first.setup.training.lr.setValue(0.05)
    first.setup.init.boxes["fix_w2"].setChecked(False)
    first.samples.count.setValue(7)
    first.close()

    second = make_window(saved=True)
    assert second.setup.model.n_hidden.value() == 64
    assert second.setup.training.lr.value() == 0.05
    assert not second.setup.init.boxes["fix_w2"].isChecked()
    assert second.samples.count.value() == 7
    assert second.run.info.cfg.data == str(words_path) and second.run.info.cfg.n_hidden == 64


def test_settings_go_to_the_test_folder(temp_settings):
    assert open_settings().fileName().startswith(str(temp_settings))


def test_data_argument_opens_that_file(qtbot, make_window, names_path):
    args, qt_args = parse_args(["--data", str(names_path), "-platform", "offscreen"])
    assert qt_args == ["-platform", "offscreen"]
    cfg = initial_config(args, open_settings())
    assert cfg.data == str(names_path)
    window = make_window(**{**cfg.to_dict(), "max_steps": 10})
    assert window.run.info.source == str(names_path) and window.run.info.n_words == 32033
    assert "names.txt" in window.windowTitle()


def test_a_missing_data_file_falls_back_to_the_builtin_names(qtbot, make_window, tmp_path):
    window = make_window(data=str(tmp_path / "nope.txt"))
    def check():
        assert window.run.info.source == "builtin"
    qtbot.waitUntil(check, timeout=30_000)
    assert "No such file" in window.message_bar.text and "built-in names were opened" in window.message_bar.text
    window.step_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 1)


def test_default_config_when_settings_are_empty():
    from gui.settings import load_config
    assert load_config(open_settings()) == Config()


def test_config_argument_opens_a_saved_setup(tmp_path, words_path):
    from core.config import save_config_file
    setup = tmp_path / "setup.toml"
    save_config_file(Config(data=str(words_path), n_hidden=48, batchnorm=False, lr=0.05), setup)
    args, _ = parse_args(["--config", str(setup)])
    cfg = initial_config(args, open_settings())
    assert (cfg.n_hidden, cfg.batchnorm, cfg.lr, cfg.data) == (48, False, 0.05, str(words_path))


def test_a_bad_setup_file_is_one_line_and_exit_2(tmp_path):
    import subprocess
    import sys
    bad = tmp_path / "bad.toml"
    bad.write_text("lr = -1\n")
    out = subprocess.run([sys.executable, "main.py", "--config", str(bad)], capture_output=True, text=True,
                         timeout=120)  # conftest set QT_QPA_PLATFORM=offscreen
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "greater than 0" in out.stderr
