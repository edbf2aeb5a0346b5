"""The notebook's loss-log experiment: train each preset stage and record its losses."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from .config import Config
from .data import Dataset
from .presets import PRESETS, preset_config
from .runs import RunLog, RunRecord
from .train import Trainer

CHUNK = 1000


def run_loss_log(base: Config, data: Dataset | Sequence[str], log: RunLog,
                 progress: Callable[[str, int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None,
                 max_steps: int | None = None) -> list[RunRecord]:
    """Train every stage from `base` (same data, sizes and seed); each becomes a run in `log`.
    `progress(stage, steps_done, steps_total)` is called every CHUNK steps; when
    `cancelled()` turns true the current stage stops and no further stage starts.
    `data` is the run's own dataset or words (never the file again: it may have changed or gone)."""
    dataset = data if isinstance(data, Dataset) else Dataset.from_words(list(data), base.block_size,
                                                                        source=base.data)
    records = []
    for name in PRESETS:
        cfg = preset_config(name, base)
        if max_steps is not None:
            cfg = cfg.replace(max_steps=max_steps, lr_decay_step=max_steps // 2)
        trainer = Trainer(cfg, dataset)
        run = log.start(cfg, name=f"loss log: {name}")
        while not trainer.done:
            if cancelled and cancelled():
                return records
            run.add_losses(trainer.train(CHUNK))
            if trainer.divergence:
                break
            if progress:
                progress(name, trainer.step, cfg.max_steps)
        run.set_split_losses(trainer.split_loss("train"), trainer.split_loss("val"))
        records.append(run)
    return records
