"""The sweep form: the spec's top-level keys as fields, its [params] as the TOML a spec file holds,
where the trials run, and the base setup: the window's own, or the [base] of a spec file opened."""
from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QToolButton,
    QWidget,
)

from core.config import Config
from core.sweeps.local_runner import default_workers
from core.sweeps.spec import METHODS, PRUNERS, SpecError, SweepSpec, spec_from_dict
from gui.panels.widgets import field_box

EXAMPLE_PARAMS = "lr = [0.03, 0.1, 0.3]\nn_hidden = [50, 100, 200]\n"


def setup_keys(cfg: Config) -> dict:
    """A setup as a spec's [base] (TOML has no null, and each trial's length is the spec's steps)."""
    return {k: v for k, v in cfg.to_dict().items() if v is not None and k != "max_steps"}


class SweepForm(QWidget):
    def __init__(self, window_setup: Callable[[], Config], parent=None):
        super().__init__(parent)
        self.window_setup = window_setup
        self.base_keys: dict | None = None       # a spec file's [base]; None: the window's setup
        self.folder: Path | None = None
        self.name = QLineEdit("lr-and-width")
        self.method = QComboBox()
        self.method.addItems(METHODS)
        self.trials = QSpinBox()
        self.trials.setRange(1, 10_000)
        self.trials.setValue(20)
        self.steps = field_box("max_steps", "Training steps of each trial")
        self.steps.setValue(20_000)
        self.pruning = QComboBox()
        self.pruning.addItems(PRUNERS)
        self.report_every = QSpinBox()
        self.report_every.setRange(1, 1_000_000_000)
        self.report_every.setValue(2000)
        self.workers = QSpinBox()
        self.workers.setRange(1, 256)
        self.workers.setValue(default_workers())
        self.trials.setToolTip("How many trials a random or TPE search runs (a grid runs every combination)")
        self.report_every.setToolTip("Measure each trial's val loss every this many steps: the curves, and what "
                                     "a pruner compares to stop bad trials early")
        self.workers.setToolTip("Trials trained at once on this machine, one per thread (the fast engine runs "
                                "without the GIL: one per core is the sweet spot)")
        self.cluster = QLineEdit()
        self.cluster.setPlaceholderText("tcp://HOST:8786 (empty: this machine)")
        self.params = QPlainTextEdit(EXAMPLE_PARAMS)
        self.params.setToolTip("What to vary, as a spec's [params]: a list is a choice (lr = [0.03, 0.1]), "
                               "a table a range (lr = { low = 0.01, high = 1.0, log = true }).")
        self.params.setFixedHeight(56)
        self.base_label = QLabel()
        self.window_base = QToolButton()
        self.window_base.setText("Use the window's setup")
        self.window_base.setToolTip("Forget the spec's [base]: trials start from the side panels' setup instead")
        self.window_base.clicked.connect(lambda: self.use_base(None))
        self.method.currentTextChanged.connect(lambda m: self.trials.setEnabled(m != "grid"))
        self.trials.setEnabled(False)
        self._lay_out()
        self.use_base(None)

    def _lay_out(self) -> None:
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        rows = [(("Name", self.name), ("Method", self.method), ("Trials", self.trials), ("Steps", self.steps)),
                (("Pruning", self.pruning), ("Report every", self.report_every), ("Workers", self.workers),
                 ("Cluster", self.cluster))]
        for r, row in enumerate(rows):
            for c, (label, widget) in enumerate(row):
                grid.addWidget(QLabel(label), r, 2 * c)
                grid.addWidget(widget, r, 2 * c + 1)
        grid.addWidget(QLabel("Params"), 2, 0)
        grid.addWidget(self.params, 2, 1, 1, 5)
        grid.addWidget(self.base_label, 2, 6)
        grid.addWidget(self.window_base, 2, 7)
        for c in (1, 3, 5, 7):
            grid.setColumnStretch(c, 1)

    def use_base(self, keys: dict | None, folder: Path | None = None, source: str = "") -> None:
        self.base_keys, self.folder = keys, folder
        self.base_label.setText(f"Base: [base] of {source}" if keys is not None else "Base: the window's setup")
        self.window_base.setVisible(keys is not None)

    def spec(self) -> SweepSpec:
        """The spec the form describes (SpecError says what is wrong, naming the key)."""
        try:
            params = tomllib.loads(self.params.toPlainText())
        except tomllib.TOMLDecodeError as e:
            raise SpecError(f"params: not valid TOML: {e}") from None
        raw = {"name": self.name.text(), "method": self.method.currentText(), "steps": self.steps.value(),
               "pruning": self.pruning.currentText(), "report_every": self.report_every.value(),
               "base": dict(self.base_keys) if self.base_keys is not None else setup_keys(self.window_setup()),
               "params": params}
        if raw["method"] != "grid":
            raw["trials"] = self.trials.value()
        raw["report_every"] = min(raw["report_every"], raw["steps"])
        return spec_from_dict(raw, self.folder)

    def set_spec(self, spec: SweepSpec, source: str = "", folder: Path | None = None) -> None:
        self.name.setText(spec.name)
        self.method.setCurrentText(spec.method)
        self.trials.setValue(spec.trials)
        self.steps.setValue(spec.steps)
        self.pruning.setCurrentText(spec.pruning)
        self.report_every.setValue(spec.report_every)
        self.params.setPlainText(spec.to_toml().split("[params]\n", 1)[1])
        self.use_base(dict(spec.base_keys), folder, source)

    @property
    def where(self) -> tuple[int, str | None]:
        """(workers, cluster address or None)."""
        return self.workers.value(), self.cluster.text().strip() or None
