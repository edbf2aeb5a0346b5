"""The lectures' tools, one click each (issue 22): the learning-rate finder, the gradient check,
the Embedding tab, sample novelty and the speed slider, on a toolbar of their own and in the
Training menu. Everything reaches the worker as commands (gui/bridge/commands.py)."""
from __future__ import annotations

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QTabWidget

from gui.actions import make_action
from gui.bridge import commands
from gui.workbench.embedding_view import EmbeddingView
from gui.workbench.grad_check_view import GradCheckDialog
from gui.workbench.healthy import add_healthy_lines, label_guides
from gui.workbench.lr_finder_view import LRFinderDialog
from gui.workbench.novelty import NoveltyTags
from gui.workbench.speed import SpeedControl

EMBEDDING_TIP = ("The character embeddings C as points (part 2's plot): raw when n_embed is 2, else the first two "
                 "principal components; hover for nearest neighbours.")


class LectureTools(QObject):
    def __init__(self, session, run, settings: QSettings, tabs: QTabWidget, chrome, setup, samples,
                 window: QMainWindow, workbench):
        super().__init__(window)
        self.session, self.run, self.tabs, self.setup, self.window = session, run, tabs, setup, window
        # what good looks like: a line under every plot, words on every guide
        self.healthy = add_healthy_lines(workbench.plots())
        d = workbench.diagnostics
        self.guide_labels = label_guides(d.update_ratio, workbench.layers.view, d.distributions)
        self.embedding = EmbeddingView()
        tabs.setTabToolTip(tabs.addTab(self.embedding, "Embedding"), EMBEDDING_TIP)
        self._embedding_asked = False
        run.frame_taken.connect(lambda _frame: self._ask_embedding())
        run.run_started.connect(lambda _info: self.embedding.clear())
        tabs.currentChanged.connect(lambda _i: self._ask_embedding())
        self.novelty = NoveltyTags(session, run, samples, self)
        self.speed = SpeedControl(session, run, settings, self)
        self.finder: LRFinderDialog | None = None
        self.grad_check: GradCheckDialog | None = None
        A = lambda *args: make_action(window, *args)  # noqa: E731
        self.find_lr_action = A("Find learning rate…", "Ctrl+Shift+F", "Part 2's sweep: one step per learning "
                                "rate from 1e-3 to 1 on a copy of the run, and fastai's suggestion", self.open_finder)
        self.grad_check_action = A("Check gradients…", "Ctrl+Shift+G", "Part 4's check: each engine's gradients "
                                   "against autograd's on one batch at the current weights", self.open_grad_check)
        self.slow_start_action = QAction("Slow start for a new window's first run", window)
        self.slow_start_action.setCheckable(True)
        self.slow_start_action.setChecked(self.speed.slow_start)
        self.slow_start_action.setStatusTip("The first run of a fresh window takes its first steps slowly, "
                                            "then speeds up.")
        self.slow_start_action.toggled.connect(self.speed.set_slow_start)
        index = tabs.indexOf(self.embedding)
        self.embedding_action = A("Embedding", f"Ctrl+{index + 1}" if index < 9 else "", "Show the Embedding tab",
                                  lambda: tabs.setCurrentWidget(self.embedding))
        view_menu = next((a.menu() for a in chrome.menu_bar.actions() if a.text() == "&View"), None)
        if view_menu is not None:
            view_menu.addAction(self.embedding_action)
        chrome.train_menu.addSeparator()
        chrome.train_menu.addActions([self.find_lr_action, self.grad_check_action, self.slow_start_action])
        toolbar = window.addToolBar("Lecture tools")
        toolbar.setObjectName("lecture-tools-toolbar")
        toolbar.setMovable(False)
        self.find_lr_action.setIconText("LR finder")
        self.grad_check_action.setIconText("Grad check")
        toolbar.addActions([self.find_lr_action, self.grad_check_action])
        toolbar.addWidget(self.speed.widget)

    # -- the learning-rate finder -------------------------------------------------------------
    def open_finder(self) -> LRFinderDialog:
        if self.finder is None:
            self.finder = LRFinderDialog(self._copy_trainer, self._apply_lr, self.window)
        if self.finder.isVisible():
            self.finder.raise_()          # behind the window: bring it forward
        self.finder.show()
        if not self.finder.running and self.finder.curve is None:
            self.finder.start()
        return self.finder

    def _copy_trainer(self, on_copy, on_error) -> None:
        self.session.command(commands.CopyTrainer(), on_result=lambda reply: on_copy(reply[1]), on_error=on_error)

    def _apply_lr(self, lr: float) -> None:
        """The Training panel's learning rate, sent to the run as a typed value would be."""
        self.setup.training.lr.setValue(lr)
        self.setup.training.flush()

    # -- the gradient check -------------------------------------------------------------------
    def open_grad_check(self) -> GradCheckDialog:
        if self.grad_check is None:
            self.grad_check = GradCheckDialog(self._check_gradients, self.window)
        if self.grad_check.isVisible():
            self.grad_check.raise_()          # behind the window: bring it forward
        self.grad_check.show()
        self._check_gradients()
        return self.grad_check

    def _check_gradients(self) -> None:
        dialog = self.grad_check
        dialog.caption.setText("Checking…")
        self.session.command(commands.CheckGradients(), on_result=lambda r: dialog.show_checks(r[1], r[2]),
                             on_error=dialog.show_error)

    # -- the Embedding tab --------------------------------------------------------------------
    def _ask_embedding(self) -> None:
        """Once a frame while the tab is shown and the step moved on: C, as it is now."""
        if self._embedding_asked or self.tabs.currentWidget() is not self.embedding or self.run.info is None:
            return
        status, shown = self.run.status, self.embedding
        if status is not None and shown.run_id == status.run_id and shown.step == status.step:
            return
        self._embedding_asked = True
        itos = self.run.info.vocab
        self.session.command(commands.Embedding(), on_result=lambda r: self._on_embedding(r, itos),
                             on_error=lambda _message: self._on_embedding(None, itos))

    def _on_embedding(self, reply, itos) -> None:
        self._embedding_asked = False
        if reply is not None and self.run.info is not None and reply[0] == self.run.info.run_id:
            self.embedding.show_embedding(reply[0], reply[1], reply[2], itos)

    def close(self) -> None:
        if self.finder is not None:
            self.finder.stop()
