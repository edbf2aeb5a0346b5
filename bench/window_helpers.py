"""What the window benchmarks share: the headless reference rate and waiting on Qt's loop."""
from __future__ import annotations

import time

import numpy as np

from core.config import Config
from core.data import Dataset
from core.training.trainer import Trainer

WARMUP_STEPS = 300


def headless_rate(cfg: Config, dataset: Dataset, steps: int) -> float:
    """steps/s of a bare Trainer after a warm-up: the reference the window is measured against."""
    trainer = Trainer(cfg, dataset)
    trainer.train(WARMUP_STEPS)
    t0 = time.perf_counter()
    trainer.train(steps)
    return steps / (time.perf_counter() - t0)


def train_flat_out(window, tick_ms: int = 5) -> dict:
    """Start the window's run and wait until it is done, timing it and a tick_ms QTimer's gaps
    (how long the event loop was kept from answering) and counting frames drawn."""
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    gaps: list[float] = []
    clock, tick = QElapsedTimer(), QTimer()
    tick.setTimerType(Qt.TimerType.PreciseTimer)
    tick.setInterval(tick_ms)

    def on_tick():
        gaps.append(clock.nsecsElapsed() / 1e6)
        clock.restart()

    tick.timeout.connect(on_tick)
    window.tools.speed.set_pace(None)        # flat out, even through a first run's slow start
    frames0, step0 = window.live.frames_drawn, window.run.status.step
    t0 = time.perf_counter()
    window.control.start()
    clock.start()
    tick.start()
    wait_for(lambda: window.run.status.done)
    elapsed = time.perf_counter() - t0
    tick.stop()
    gaps_ms = np.array(gaps[1:])
    return {"rate": (window.run.status.step - step0) / elapsed, "fps": (window.live.frames_drawn - frames0) / elapsed,
            "p99": float(np.percentile(gaps_ms, 99)), "max": float(gaps_ms.max()), "ticks": len(gaps_ms),
            "elapsed": elapsed}


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
