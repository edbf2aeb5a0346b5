"""The Trainer: the notebook's training loop, one step at a time, pausable and resumable."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from core.config import LIVE_FIELDS, Config, ConfigError
from core.data import Dataset
from core.diagnostics.stats import Snapshot, StepRecord, layer_kinds, take_snapshot
from core.model import batchnorm_pieces
from core.model.mlp import MLP
from core.training.chunk import Chunk, Failure, Outcome
from core.training.exact_engine import ExactEngine, as_rows
from core.training.fast_engine import FastEngine, slower_reason, step_work, unavailable_reason
from core.training.rollback import RollBack, divergence_message

# largest activation (rows x positions x width) evaluated in one piece: part 5's net on names.txt
# (182,625 x 4 x 128) fits, so its split_loss is the notebook's, in one piece
EVAL_ELEMENTS = 100_000_000
EVAL_CHUNK_ELEMENTS = 4_000_000   # a split too large for one piece goes in pieces this size (~10 ms each)
# A chunk holds at most this many multiply-adds (forward): a roll-back replays at most one chunk,
# so seconds at most, also for wide layers on the exact engine (a 3 x 2,000 net: 38 steps)
REPLAY_WORK = 10_000_000_000


class Cancelled(Exception):
    """A long computation gave up because its `cancelled()` turned true."""


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable), or a generous guess if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 << 30


def positions(cfg: Config) -> int:
    """Positions the first hidden layer runs on (part 5's net: block_size / its first fuse)."""
    return cfg.block_size // cfg.fuse_widths()[0] if cfg.layer_style == "wavenet" else 1


def check_memory(cfg: Config, dataset: Dataset) -> None:
    """Refuse, before allocating, a model whose tensors would not fit in memory."""
    v, n_in, n = len(dataset.vocab), cfg.n_embed * cfg.block_size, cfg.n_hidden
    wide = n * positions(cfg)      # a hidden layer's activations per example, every position
    n_params = v * cfg.n_embed + sum(cfg.block_fan_ins()) * n + n * (v + 5 * cfg.n_layers) + 3 * v
    batch = cfg.batch_size * (n_in + 4 * wide * cfg.n_layers + 3 * v)
    eval_rows = min(dataset.n_train, EVAL_ELEMENTS // max(wide, v))
    need = 4 * (4 * n_params + 3 * batch + eval_rows * (n_in + 2 * wide + 2 * v))
    have = available_memory()
    if need > have // 2:
        raise ConfigError(f"This model needs about {need / 2**30:.1f} GiB of memory "
                          f"({n_params:,} parameters) but only {have / 2**30:.1f} GiB is free; "
                          "make n_embed, n_hidden, the number of layers, block_size or the batch size smaller.")


class Trainer:
    """Plain SGD with a step learning-rate schedule, as the notebook's loop.

    Live settings (LIVE_FIELDS) may change between any two steps with `set_live`, the engine
    with `set_engine`; everything else needs a new Trainer (Reset). The steps are taken by an
    engine: "exact" (torch autograd, bit for bit the notebook) or "fast" (a compiled kernel,
    the notebook's numbers to float32 rounding); the model's torch tensors are the state either way.
    """

    def __init__(self, cfg: Config, dataset: Dataset):
        cfg.validate()
        if dataset.block_size != cfg.block_size:
            raise ConfigError("The dataset was built for another block size.")
        self.cfg = cfg
        self.dataset = dataset
        self.generator = torch.Generator().manual_seed(cfg.seed)
        self.device = torch.device(cfg.device)
        self._check_batch_size(cfg.batch_size)
        check_memory(cfg, dataset)
        self.model = MLP(cfg, len(dataset.vocab), self.generator)  # only once it is known to fit
        self.splits = {k: (x.to(self.device), y.to(self.device)) for k, (x, y) in dataset.splits.items()}
        self.step = 0                      # steps taken so far = index of the next step
        self._losses = np.empty(1024, dtype=np.float32)
        self.events: list[tuple[int, str]] = []   # (step, what changed) for plot markers
        self.divergence: str | None = None   # why the last step was refused, for a person
        self.diverged_at: int | None = None  # the step whose loss was not finite
        self.last: StepRecord | None = None
        self.layer_kinds = layer_kinds(self.model)   # the lecture's name of each hidden layer
        self.engine_note: str | None = None   # why the engine asked for is not the one running
        self._rollback = RollBack(self.splits["train"][0].shape[0])
        self.engine = self._make_engine(cfg.engine)

    # -- engine ---------------------------------------------------------------------------
    def _make_engine(self, name: str):
        self.engine_note = None
        if name == "fast":
            why = unavailable_reason(self.device.type)
            if why is None and self.model.per_position_batchnorm:
                why = ("the fast engine takes BatchNorm's statistics over every position, not per "
                       "position (bn_dims 0, the lecture's bug)")
            why = why or slower_reason(self.model, self.cfg.batch_size)
            if why is None:
                return FastEngine(*self.splits["train"])
            self.engine_note = f"Using the exact engine: {why}."
        return ExactEngine(*self.splits["train"], self.device)

    @property
    def engine_name(self) -> str:
        """The engine actually running ("fast" or "exact")."""
        return self.engine.name

    def set_engine(self, name: str) -> None:
        """Switch engines between two steps; the run goes on from the same weights."""
        cfg = self.cfg.replace(engine=name).validate()
        self._rollback.forget()
        self.cfg = cfg
        self.engine = self._make_engine(name)

    @property
    def engine_ready(self) -> bool:
        """False while the fast engine's kernel still has to be compiled (a few seconds once)."""
        return self.engine.ready()

    def prepare_engine(self) -> None:
        """Compile the engine's kernel now (blocking) rather than in the first step."""
        self.engine.prepare()

    # -- settings -----------------------------------------------------------------------
    def _check_batch_size(self, batch_size: int) -> None:
        n = self.dataset.n_train
        if batch_size > n:
            raise ConfigError(f"The batch size ({batch_size:,}) is larger than the training "
                              f"split of this dataset ({n:,} examples); use at most {n:,}.")

    def set_live(self, **changes) -> list[str]:
        """Change learning-rate schedule, batch size or max steps before the next step."""
        bad = set(changes) - LIVE_FIELDS
        if bad:
            raise ConfigError(f"{', '.join(sorted(bad))} can only change on Reset.")
        new = self.cfg.replace(**changes).validate()
        if new.max_steps < self.step:
            raise ConfigError(f"Max steps ({new.max_steps:,}) cannot be below the current step "
                              f"({self.step:,}); Reset to start again.")
        self._check_batch_size(new.batch_size)
        described = [f"{k} {getattr(self.cfg, k):g}→{v:g}" for k, v in changes.items()
                     if getattr(self.cfg, k) != v]
        schedule = [k for k in ("lr", "lr_decay_step", "lr_after") if getattr(self.cfg, k) != getattr(new, k)]
        if schedule and schedule != [new.lr_field_at(self.step)]:
            # the edit is not (only) to the rate in effect: say which rate the next step takes
            described.append(f"rate now {new.lr_at(self.step):g}")
        self.cfg = new
        if described:
            self.events.append((self.step, ", ".join(described)))
        return described

    @property
    def lr(self) -> float:
        return self.cfg.lr_at(self.step)

    @property
    def losses(self) -> np.ndarray:
        """The minibatch loss of every step taken so far (a view; copy to keep)."""
        return self._losses[: self.step]

    @property
    def done(self) -> bool:
        return self.step >= self.cfg.max_steps

    # -- training -----------------------------------------------------------------------
    def train_step(self) -> float | None:
        """One SGD step. Returns its minibatch loss, or None if the loss was not finite
        (then the weights go back to the last step with a finite loss; see `divergence`)."""
        outcome = self._run_chunk(1)
        return None if outcome.failure else float(outcome.losses[0])

    def train(self, n: int) -> list[float]:
        """Up to n steps (stopping at max_steps or on divergence); their losses. The engine
        takes them in chunks, each ending at the latest where the learning rate changes."""
        out: list[float] = []
        while len(out) < n and not self.done:
            most = max(1, min(self.engine.max_chunk, REPLAY_WORK // step_work(self.model, self.cfg.batch_size)))
            k = min(n - len(out), self.cfg.max_steps - self.step, most)
            if self.step < self.cfg.lr_decay_step:
                k = min(k, self.cfg.lr_decay_step - self.step)
            outcome = self._run_chunk(k)
            out += outcome.losses.tolist()
            if outcome.failure:
                break
        return out

    def _run_chunk(self, k: int) -> Outcome:
        """Draw k batches at once (as k draws of one), let the engine step through them, and
        take what it did: the losses, the step count, the record, or a divergence."""
        i, B = self.step, self.cfg.batch_size
        drawn_from = self.generator.get_state()
        idx = torch.randint(0, self.splits["train"][0].shape[0], (k * B,), generator=self.generator)
        chunk = Chunk(i, idx, B, self.cfg.lr_at(i), drawn_from)
        self._rollback.starting(chunk, self.model)
        before = self.last
        outcome = self.engine.run(self.model, chunk)
        done = len(outcome.losses)
        self._store_losses(i, outcome.losses)
        if done:
            self.step, self.last = i + done, outcome.record
        if outcome.failure:
            self._diverged(outcome.failure, before)
        else:
            self.divergence = self.diverged_at = None
        return outcome

    def _store_losses(self, start: int, losses) -> None:
        end = start + len(losses)
        if end > len(self._losses):
            self._losses = np.resize(self._losses, max(2 * len(self._losses), end))
        self._losses[start:end] = losses

    def _diverged(self, failure: Failure, before: StepRecord | None) -> None:
        """The loss of failure.step was not finite: back as the roll-back policy says."""
        restored, record = self._rollback.go_back(failure.step, self.model, self.engine, self.generator, before)
        if restored:
            self.step = failure.step - 1
        self.last = record
        self.diverged_at = failure.step
        self.divergence = divergence_message(self.cfg, failure, restored)
        self.events.append((self.step, f"diverged at step {failure.step}"))

    def snapshot(self, detail: bool = False, layer: int = 0, layers: bool = True) -> Snapshot | None:
        """Statistics of the last step taken (None before the first step). The single-layer
        fields (hpreact, h, saturation) are those of hidden layer `layer` (0 = the first);
        `layers` adds every layer's and every weight's statistics."""
        if self.last is None:
            return None
        if not 0 <= layer < self.cfg.n_layers:
            raise ConfigError(f"There is no hidden layer {layer + 1}; this model has {self.cfg.n_layers}.")
        return take_snapshot(self.last, detail, layer=layer, layers=layers)

    def look(self) -> None:
        """Measure the weights as they are on the next minibatch, without a step (the generator,
        weights and running statistics stay as they were): a loaded checkpoint's histograms and
        saturation picture, before any step is taken. Its record stands for the last step taken."""
        model, (Xtr, Ytr) = self.model, self.splits["train"]
        g = torch.Generator().manual_seed(0)
        g.set_state(self.generator.get_state())
        ix = torch.randint(0, Xtr.shape[0], (self.cfg.batch_size,), generator=g).to(self.device)
        params = model.parameters()
        with torch.enable_grad():
            fw = model.forward(Xtr[ix], training=True)
            loss = torch.nn.functional.cross_entropy(fw.logits, Ytr[ix])
            outs = tuple(fw.outs[:-1])
            grads = torch.autograd.grad(loss, [*params, *outs])
        grads, out_grads = grads[: len(params)], grads[len(params):]
        # part 5's (batch, positions, width) activations as rows, as the engines record them
        raws, pres, outs, out_grads = (tuple(as_rows(a.detach()) for a in arrays)
                                       for arrays in (fw.raws[:-1], fw.pres[:-1], outs, out_grads))
        step = self.step - 1
        value = float(self.losses[-1]) if self.step else loss.item()
        self.last = StepRecord(step, value, self.cfg.lr_at(max(step, 0)), model.param_names, tuple(params),
                               tuple(grads), raws=raws, pres=pres, outs=outs, out_grads=out_grads,
                               new_params=tuple(params), layer_kinds=self.layer_kinds)

    # -- evaluation ---------------------------------------------------------------------
    @torch.no_grad()
    def split_loss(self, split: str, cancelled: Callable[[], bool] | None = None) -> float:
        """Loss over a whole split with BN's running statistics (the notebook's split_loss).
        In one piece, as the notebook, unless the activations would be too large; then in
        pieces, checking `cancelled()` before each (raising Cancelled when it is true)."""
        x, y = self.splits[split]
        width = max(self.cfg.n_hidden * positions(self.cfg), len(self.dataset.vocab))
        if x.shape[0] <= max(1, EVAL_ELEMENTS // width):
            return self.model.loss(x, y)
        rows = max(1, EVAL_CHUNK_ELEMENTS // width)
        total = 0.0
        for i in range(0, x.shape[0], rows):
            if cancelled is not None and cancelled():
                raise Cancelled(f"Evaluating the {split} split was cancelled.")
            total += self.model.loss(x[i:i + rows], y[i:i + rows]) * len(y[i:i + rows])
        return total / x.shape[0]

    @torch.no_grad()
    def calibrate_batchnorm(self, cancelled: Callable[[], bool] | None = None) -> None:
        """The lecture's calibration: BN mean/std measured over the whole training split. In
        one piece, as the lecture, unless its activations would be too large; then in pieces
        (core/model/batchnorm_pieces.py), checking `cancelled()` before each."""
        if not self.cfg.batchnorm:
            raise ConfigError("BatchNorm is off: there are no statistics to calibrate.")
        x = self.splits["train"][0]
        width = max(self.cfg.n_hidden * positions(self.cfg), len(self.dataset.vocab),
                    self.cfg.n_embed * self.cfg.block_size)
        if x.shape[0] <= max(1, EVAL_ELEMENTS // width):
            self.model.calibrate(x)
        else:
            try:
                found = batchnorm_pieces.measure(self.model, x, max(1, EVAL_CHUNK_ELEMENTS // width), cancelled)
            except batchnorm_pieces.Cancelled as e:
                raise Cancelled(str(e)) from None
            batchnorm_pieces.assign(self.model, found)
        self._rollback.forget()
        self.events.append((self.step, "BatchNorm calibrated"))

    # -- state --------------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "config": self.cfg.to_dict(),
            "step": self.step,
            "model": self.model.state(),
            "generator": self.generator.get_state(),
            "losses": torch.from_numpy(self.losses.copy()),
            "events": [list(e) for e in self.events],
        }

    def load_state(self, state: dict) -> None:
        self.model.load_state(state["model"])
        self.generator.set_state(state["generator"])
        self.step = int(state["step"])
        losses = state["losses"].numpy()
        self._losses = np.empty(max(1024, 2 * len(losses)), dtype=np.float32)
        self._losses[: len(losses)] = losses
        self.events = [(int(s), str(t)) for s, t in state.get("events", [])]
        self.last = None
        self._rollback.forget()
