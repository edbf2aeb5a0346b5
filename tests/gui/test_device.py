"""Device: CPU by default; the CUDA choice appears in the Model panel only when torch sees a GPU."""
import torch

from gui.panels.model_panel import ModelPanel


def test_without_a_gpu_the_device_choice_is_hidden_and_cpu(window):
    if torch.cuda.is_available():
        assert window.setup.model.device.isVisibleTo(window)
        return
    assert not window.setup.model.device.isVisibleTo(window)
    assert window.setup.config().device == "cpu" and window.run.info.cfg.device == "cpu"


def test_with_a_gpu_the_choice_appears_and_reaches_the_config(qtbot, monkeypatch):
    monkeypatch.setattr("gui.panels.model_panel.available_devices", lambda: ("cpu", "cuda"))
    panel = ModelPanel()
    qtbot.addWidget(panel)
    assert panel.device.isVisibleTo(panel) and panel.device.count() == 2
    assert panel.values()["device"] == "cpu"
    panel.device.setCurrentText("cuda")
    assert panel.values()["device"] == "cuda"
