"""What the window benchmarks share: the headless reference rate and waiting on Qt's loop."""
from __future__ import annotations

import time

from core.config import Config
from core.data import Dataset
from core.train import Trainer

WARMUP_STEPS = 300


def headless_rate(cfg: Config, dataset: Dataset, steps: int) -> float:
    """steps/s of a bare Trainer after a warm-up: the reference the window is measured against."""
    trainer = Trainer(cfg, dataset)
    trainer.train(WARMUP_STEPS)
    t0 = time.perf_counter()
    trainer.train(steps)
    return steps / (time.perf_counter() - t0)


def wait_for(predicate, timeout_s: float = 600.0) -> None:
    """Run the event loop until predicate() holds. (processEvents in a Python loop would spin
    and hold the GIL: the bench would measure itself.)"""
    from PySide6.QtCore import QEventLoop, QTimer
    loop, check = QEventLoop(), QTimer()
    check.timeout.connect(lambda: loop.quit() if predicate() else None)
    check.start(20)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    check.stop()
    if not predicate():
        raise TimeoutError("the window did not get there in time")
