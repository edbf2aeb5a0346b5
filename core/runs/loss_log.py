"""The notebook's loss-log experiment: train each preset stage and record its losses."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from core.config import Config
from core.data import Dataset
from core.presets import PRESETS, preset_config
from core.runs.records import RunLog, RunRecord
from core.training.trainer import Trainer

CHUNK = 1000


def as_dataset(base: Config, data: Dataset | Sequence[str]) -> Dataset:
    """The run's own dataset, or one built from its words (never the file again: it may have changed or gone)."""
    return data if isinstance(data, Dataset) else Dataset.from_words(list(data), base.block_size, source=base.data)


def loss_log_stages(base: Config, data: Dataset | Sequence[str], max_steps: int | None = None) -> Iterator[tuple]:
    """The experiment, a step of CHUNK at a time: every stage from `base` (same data, sizes
    and seed) yields ("start", cfg, name), then ("losses", chunk) and ("progress", stage,
    steps_done, steps_total) per chunk, and ("split", train, val) at its end. Whoever
    drives it stops it by not asking for more. `data` is the run's own dataset or words."""
    dataset = as_dataset(base, data)
    for name in PRESETS:
        cfg = preset_config(name, base)
        if max_steps is not None:
            cfg = cfg.replace(max_steps=max_steps, lr_decay_step=max_steps // 2)
        trainer = Trainer(cfg, dataset)
        yield "start", cfg, f"loss log: {name}"
        while not trainer.done:
            yield "losses", trainer.train(CHUNK)
            if trainer.divergence:
                break
            yield "progress", name, trainer.step, cfg.max_steps
        yield "split", trainer.split_loss("train"), trainer.split_loss("val")


def run_loss_log(base: Config, data: Dataset | Sequence[str], log: RunLog,
                 progress: Callable[[str, int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None,
                 max_steps: int | None = None) -> list[RunRecord]:
    """loss_log_stages, each stage a run in `log`. `progress(stage, steps_done, steps_total)`
    is called every CHUNK steps; when `cancelled()` turns true the current stage stops and
    no further stage starts. Returns the stages that ran to the end. `data` is the run's own
    dataset or words (never the file again: it may have changed or gone)."""
    records, run = [], None
    for event in loss_log_stages(base, data, max_steps):
        kind = event[0]
        if kind == "start":
            run = log.start(event[1], name=event[2])
        elif kind == "losses":
            run.add_losses(event[1])
        elif kind == "progress" and progress:
            progress(*event[1:])
        elif kind == "split":
            run.set_split_losses(*event[1:])
            records.append(run)
        if cancelled and cancelled():
            break
    return records
