"""`python main.py --headless`: train, evaluate and sample in the terminal, notebook style."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import torch

from core.checkpoint import (
    CheckpointError,
    checkpoint_bytes,
    load_checkpoint,
    load_checkpoint_bytes,
    save_checkpoint,
)
from core.config import (
    ACTIVATIONS,
    BN_DIMS,
    ENGINES,
    LAYER_STYLES,
    LIMITS,
    MAX_LAYERS,
    Config,
    ConfigError,
    load_config_file,
    parse_number,
)
from core.data import DataError, Dataset
from core.diagnostics.grad_check import check as check_gradients
from core.diagnostics.grad_check import engines as grad_check_engines
from core.diagnostics.lr_finder import curve_lines, find_lr
from core.diagnostics.stats import Snapshot
from core.files import check_writable
from core.model.novelty import NoveltyIndex
from core.model.novelty import summary as novelty_summary
from core.model.sample import NOTEBOOK_SAMPLE_SEED, continued, iter_samples
from core.presets import CATALOGUE, preset_config
from core.runs import commands as runs_commands
from core.runs.naming import run_name
from core.runs.recorder import RecordedRun, RunRecorder, dataset_identity
from core.runs.store import RunStore, StoreError
from core.training.trainer import Trainer

PRINT_EVERY = 10_000


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def limited(name: str):
    """An argparse type for the LIMITS entry `name`: the same range the window and setup files take."""
    limit = LIMITS[name]

    def parse(text: str):
        try:
            return limit.parse(text)
        except ConfigError as e:
            raise argparse.ArgumentTypeError(str(e).removeprefix(f"The {limit.words} ").rstrip(".")) from None
    parse.__name__ = limit.words    # argparse names the type in "invalid <name> value"
    return parse


def gain(text: str) -> float:
    """The init gain: a number or a fraction such as 5/3, within the W1 gain's limits."""
    try:
        return LIMITS["w1_gain"].check(parse_number(text))
    except (ValueError, ConfigError) as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix("The W1 gain ").rstrip(".")) from None


def fuse_widths(text: str) -> str:
    """--fuse 2,2,2: each width within LIMITS['fuse_width']; kept as typed (spaces dropped)."""
    try:
        parts = [LIMITS["fuse_width"].parse(part) for part in text.split(",")]
    except ConfigError as e:
        raise argparse.ArgumentTypeError(str(e).rstrip(".")) from None
    return ",".join(str(n) for n in parts)


def build_parser(prog: str = "main.py") -> argparse.ArgumentParser:
    d = Config()
    p = OneLineParser(prog=prog, description="makemore playground: train the makemore MLP "
                      "with BatchNorm on a list of names. Without --headless, opens the window.")
    p.add_argument("--headless", action="store_true", help="train in the terminal, no window")
    p.add_argument("--config", metavar="FILE", help="a setup file (.toml or .json) saved by the app")
    p.add_argument("--data", metavar="PATH", help="word list, one name per line "
                   "(default: the built-in US names of 2017; 'builtin:YEAR' for another year)")
    p.add_argument("--preset", metavar="NAME", choices=tuple(CATALOGUE),
                   help="start from a named setup; options given beside it override it: "
                   + "; ".join(f"{n}: {pr.about}" for n, pr in CATALOGUE.items()).replace("%", "%%"))
    g = p.add_argument_group("training")
    g.add_argument("--steps", type=limited("max_steps"), help=f"steps to train (default {d.max_steps})")
    g.add_argument("--batch-size", type=limited("batch_size"), help=f"default {d.batch_size}")
    g.add_argument("--lr", type=limited("lr"), help=f"learning rate (default {d.lr})")
    g.add_argument("--lr-decay-step", type=limited("lr_decay_step"),
                   help=f"step from which --lr-after is used (default {d.lr_decay_step})")
    g.add_argument("--lr-after", type=limited("lr_after"), help=f"learning rate after decay (default {d.lr_after})")
    m = p.add_argument_group("model (initialisation and architecture)")
    m.add_argument("--n-embed", type=limited("n_embed"), help=f"default {d.n_embed}")
    m.add_argument("--n-hidden", type=limited("n_hidden"), help=f"default {d.n_hidden}")
    m.add_argument("--block-size", type=limited("block_size"), help=f"context length (default {d.block_size})")
    m.add_argument("--seed", type=limited("seed"), help=f"init and minibatch seed (default {d.seed})")
    m.add_argument("--no-batchnorm", action="store_true", help="no BatchNorm layer")
    m.add_argument("--no-fix-w2", action="store_true", help="W2 not scaled by 0.01")
    m.add_argument("--no-fix-b2", action="store_true", help="b2 not zeroed")
    m.add_argument("--no-fix-w1", action="store_true", help="W1 not Kaiming-scaled")
    m.add_argument("--no-fix-b1", action="store_true", help="b1 not scaled by 0.01")
    m.add_argument("--w1-scale", type=limited("w1_scale"),
                   help="scale W1 by this plain factor (e.g. 0.2) instead of Kaiming")
    m.add_argument("--layers", type=limited("n_layers"), metavar="N",
                   help=f"hidden layers Linear -> (BatchNorm) -> activation, 1-{MAX_LAYERS} (default {d.n_layers})")
    m.add_argument("--gain", type=gain, metavar="G", help="init gain of every hidden layer's weights, "
                   "a number or a fraction such as 5/3 (default 5/3)")
    m.add_argument("--activation", choices=ACTIVATIONS, help="tanh, or none for a linear-only stack (default tanh)")
    m.add_argument("--layer-style", choices=LAYER_STYLES, help="seed: the seed notebook's layers (default); "
                   "lecture: the lecture's Linear and BatchNorm1d (eps 1e-5, running var, BN on the output)")
    m.add_argument("--fuse", type=fuse_widths, metavar="N,N,...",
                   help="layer style wavenet: how many consecutive positions each hidden layer fuses "
                   "(makemore part 5's FlattenConsecutive), e.g. 2,2,2; they must multiply to the block size")
    m.add_argument("--bn-dims", choices=BN_DIMS, help="layer style wavenet: BatchNorm's statistics over dims "
                   "0,1 (every position, default) or 0 (per position: the lecture's bug)")
    m.add_argument("--bn-momentum", type=limited("bn_momentum"), help=f"BatchNorm running-average momentum "
                   f"(default {d.bn_momentum}; the lecture's 0.1)")
    m.add_argument("--device", choices=("cpu", "cuda"), help="default cpu")
    m.add_argument("--engine", choices=ENGINES,
                   help="fast: a compiled kernel, the notebook's numbers to float32 rounding (default, on the "
                        "CPU); exact: torch autograd, bit for bit the notebook")
    s = p.add_argument_group("sampling and checkpoints")
    s.add_argument("--samples", type=limited("samples"), default=20,
                   help=f"names to sample at the end (default 20, at most {LIMITS['samples'].high:,})")
    s.add_argument("--sample-seed", type=limited("sample_seed"),
                   help=f"default the notebook's: the seed notebook's {NOTEBOOK_SAMPLE_SEED}; for the wavenet "
                   "layer style, part 5's: the training generator, continuing")
    s.add_argument("--temperature", type=limited("temperature"), default=1.0,
                   help="divides the logits; near 0 it picks the likeliest character (default 1)")
    s.add_argument("--layer-stats", action="store_true", help="after training, print the lecture's three "
                   "tables for the last step: each hidden layer's output and its gradient, each weight's gradient")
    s.add_argument("--sample-tags", action="store_true", help="tag each sampled name as makemore does: "
                   "in the training words, in the val/test words, or new; then the share of each")
    t = p.add_argument_group("the lectures' tools (each prints and exits, training nothing)")
    t.add_argument("--find-lr", action="store_true", help="the learning-rate finder: one step per rate "
                   "from 1e-3 to 1 (part 2's sweep) from the current weights; prints the curve and fastai's suggestion")
    t.add_argument("--check-grads", action="store_true", help="part 4's gradient check: each engine's "
                   "gradients against autograd's on one batch at the current weights")
    s.add_argument("--save", metavar="FILE", help="save a checkpoint at the end")
    s.add_argument("--load", metavar="FILE", help="continue from a checkpoint")
    s.add_argument("--load-run", metavar="ID", type=int, help="continue (or, with --steps at its step, "
                   "sample) a run from the run store: `main.py runs list` shows their ids")
    r = p.add_argument_group("the run store (`main.py runs --help`)")
    r.add_argument("--runs-db", metavar="PATH", help="the run store (default $MAKEMORE_RUNS_DB, else "
                   "$XDG_DATA_HOME/makemore-playground/runs.sqlite3)")
    r.add_argument("--no-record", action="store_true", help="do not record this run in the run store")
    return p


def config_from_args(args: argparse.Namespace) -> Config:
    cfg = load_config_file(args.config) if args.config else Config()
    if args.preset:
        cfg = preset_config(args.preset, cfg)
    flags = {"data": args.data, "max_steps": args.steps, "batch_size": args.batch_size, "lr": args.lr,
             "lr_decay_step": args.lr_decay_step, "lr_after": args.lr_after, "n_embed": args.n_embed,
             "n_hidden": args.n_hidden, "block_size": args.block_size, "seed": args.seed,
             "w1_scale": args.w1_scale, "device": args.device, "engine": args.engine,
             "n_layers": args.layers, "w1_gain": args.gain, "activation": args.activation,
             "layer_style": args.layer_style, "bn_momentum": args.bn_momentum, "fuse": args.fuse,
             "bn_dims": args.bn_dims}
    if args.fuse is not None and args.layers is None:
        flags["n_layers"] = args.fuse.count(",") + 1     # one hidden layer per width
    changes = {k: v for k, v in flags.items() if v is not None}
    for flag, field in (("no_batchnorm", "batchnorm"), ("no_fix_w2", "fix_w2"), ("no_fix_b2", "fix_b2"),
                        ("no_fix_w1", "fix_w1"), ("no_fix_b1", "fix_b1")):
        if getattr(args, flag):
            changes[field] = False
    return cfg.replace(**changes).validate()


def run(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    torch.set_num_threads(1)  # the tiny matrices here run slower split across threads
    if args.save:
        check_writable(args.save, "checkpoint")   # now, not after a run that would then be lost
    if args.load and args.load_run is not None:
        raise ConfigError("--load and --load-run both name where to continue from: give one.")
    loading = args.load or args.load_run is not None
    if loading:
        fixed = [flag for flag, value in (("--data", args.data), ("--config", args.config),
                 ("--n-embed", args.n_embed), ("--n-hidden", args.n_hidden), ("--block-size", args.block_size),
                 ("--seed", args.seed), ("--w1-scale", args.w1_scale), ("--preset", args.preset),
                 ("--layers", args.layers), ("--gain", args.gain), ("--activation", args.activation),
                 ("--layer-style", args.layer_style), ("--bn-momentum", args.bn_momentum),
                 ("--fuse", args.fuse), ("--bn-dims", args.bn_dims)) if value is not None]
        fixed += [f"--{f.replace('_', '-')}" for f in ("no_batchnorm", "no_fix_w2", "no_fix_b2", "no_fix_w1",
                                                          "no_fix_b1") if getattr(args, f)]
        if fixed:
            raise ConfigError(f"{', '.join(fixed)} cannot change a loaded checkpoint's model; "
                              "only --steps, --lr, --lr-decay-step, --lr-after and --batch-size can.")
        trainer = (load_checkpoint(args.load, device=args.device, engine=args.engine) if args.load
                   else load_stored_run(args.load_run, args.runs_db, args.device, args.engine))
        live = {"max_steps": args.steps, "lr": args.lr, "lr_decay_step": args.lr_decay_step,
                "lr_after": args.lr_after, "batch_size": args.batch_size}
        trainer.set_live(**{k: v for k, v in live.items() if v is not None})
    else:
        cfg = config_from_args(args)
        if cfg.device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("--device cuda was asked for, but torch sees no CUDA GPU here.")
        trainer = Trainer(cfg, Dataset.load(cfg.data, cfg.block_size))
    if trainer.engine_note:
        print(trainer.engine_note, file=sys.stderr)
    if args.find_lr or args.check_grads:
        print("\n".join(tool_lines(trainer, args)), file=out)
        return 0
    recorder = None if args.no_record else RunRecorder.open(args.runs_db)
    record = None
    if recorder is not None:
        # a stored run only sampled (no step left to take) is no new run: what it prints goes to it
        record = (RunRecorder.existing(args.load_run) if args.load_run is not None and trainer.done
                  else start_record(recorder, trainer, args))
    try:
        code = train_and_report(trainer, args, out, recorder, record)
    except BaseException:
        if record is not None:
            recorder.status(record, "interrupted", trainer.step)
        raise
    finally:
        if recorder is not None:
            recorder.close()
    return code


def start_record(recorder: RunRecorder, trainer: Trainer, args) -> RecordedRun:
    name = run_name(trainer.cfg)
    if args.load_run is not None:
        name = f"{name} · from run {args.load_run}"
    elif args.load:
        name = f"{name} · from {Path(args.load).name}"
    record = recorder.start("headless", name, trainer.cfg.to_dict(), dataset_identity(trainer.dataset),
                            trainer.engine_name, trainer.cfg.device)
    if trainer.step:
        recorder.add_losses(record, 0, trainer.losses, lr=trainer.lr)   # the history it continues
    return record


def train_and_report(trainer: Trainer, args, out, recorder: RunRecorder | None, record: RecordedRun | None) -> int:
    max_steps = trainer.cfg.max_steps
    while not trainer.done:
        i = trainer.step
        losses = trainer.train(PRINT_EVERY - i % PRINT_EVERY)   # up to the next progress line
        if record is not None:
            if trainer.step < i + len(losses):
                recorder.replace_losses(record, trainer.losses)   # a divergence took steps back
            else:
                recorder.add_losses(record, i, losses, lr=trainer.lr)
        if i % PRINT_EVERY == 0 and losses:
            print(f"{i:7d}/{max_steps:7d}: {losses[0]:.4f}", file=out, flush=True)
        if trainer.divergence:
            print(trainer.divergence, file=sys.stderr)
            if record is not None:
                recorder.replace_losses(record, trainer.losses)
                recorder.weights(record, checkpoint_bytes(trainer), trainer.step)
                recorder.status(record, "diverged", trainer.step)
            return 1
    if args.layer_stats:
        snap = trainer.snapshot()
        if snap is None:
            print("--layer-stats: no step was taken, so there are no statistics to print.", file=sys.stderr)
        else:
            print("\n".join(layer_tables(snap)), file=out)
    for split in ("train", "val"):
        loss = trainer.split_loss(split)
        print(split, loss, file=out)
        if record is not None:
            recorder.split_loss(record, split, loss, trainer.step)
    names = []
    index = NoveltyIndex.of(trainer.dataset.words) if args.sample_tags else None
    tags = []
    seed, generator = args.sample_seed, None
    if seed is None and trainer.model.sequential:
        generator = continued(trainer.generator)     # part 5 samples from its training generator
    for s in iter_samples(trainer.model, trainer.dataset.vocab, args.samples, temperature=args.temperature,
                          seed=NOTEBOOK_SAMPLE_SEED if seed is None else seed, generator=generator):
        if index is None:
            print(s.notebook_line, file=out, flush=True)   # each name as it is drawn
        else:
            tags.append(index.tag(s.text))
            print(f"{s.notebook_line:<24s} {tags[-1]}", file=out, flush=True)
        names.append(s.notebook_line)
    if index is not None:
        print(novelty_summary(tags), file=out)
    if args.save:
        save_checkpoint(trainer, args.save)
    if record is not None:
        recorder.samples(record, names, trainer.step)
        recorder.weights(record, checkpoint_bytes(trainer), trainer.step)
        recorder.status(record, "finished", trainer.step)
    return 0


def tool_lines(trainer: Trainer, args: argparse.Namespace) -> list[str]:
    """--find-lr and --check-grads: what they print, from the trainer's current weights."""
    lines = []
    if args.find_lr:
        lines += curve_lines(find_lr(trainer))
    if args.check_grads:
        for engine in grad_check_engines(trainer):
            lines += check_gradients(trainer, engine).lines
    return lines


def load_stored_run(run_id: int, runs_db: str | None, device: str | None, engine: str | None) -> Trainer:
    store = RunStore.open_default(runs_db)
    try:
        run = store.get_run(run_id)
        if run is None:
            raise StoreError(f"There is no run {run_id} in the run store {store.path}.")
        data = store.load_weights(run_id)
        if data is None:
            raise StoreError(f"Run {run_id} ({run.name}) has no weights in the run store "
                             f"(only runs that finished, diverged or were saved keep them).")
    finally:
        store.close()
    return load_checkpoint_bytes(data, f"run {run_id}", device=device, engine=engine)


def layer_tables(snap: Snapshot) -> list[str]:
    """The lecture's three tables, in its format: activations, their gradients, weight gradients."""
    lines = [f"layer {s.index} ({s.kind:>10s}): mean {s.mean:+.2f}, std {s.std:.2f}, "
             f"saturated: {s.saturated_pct:.2f}%" for s in snap.layers]
    lines += [f"layer {s.index} ({s.kind:>10s}): mean {s.grad_mean:+f}, std {s.grad_std:e}" for s in snap.layers]
    lines += [f"weight {str(w.shape):>10s} | mean {w.grad_mean:+f} | std {w.grad_std:e} | "
              f"grad:data ratio {w.grad_data_ratio:e}" for w in snap.weights]
    return lines


def runs_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="main.py runs", description="The run store: every run of the window, "
                      "the command line and sweeps.")
    runs_commands.add_arguments(p)
    return p


def _sweeps():
    from core.sweeps import cli as sweep_cli  # imported when asked for: Optuna takes a moment to load
    return sweep_cli


# `main.py NAME ...`: NAME -> (its parser, what runs it with the parsed arguments). Add a
# subcommand here; main.py sends every first argument named here to this module.
SUBCOMMANDS: dict[str, tuple[Callable[[], argparse.ArgumentParser], Callable[[argparse.Namespace], int]]] = {
    "runs": (runs_parser, runs_commands.run),
    "sweep": (lambda: _sweeps().build_parser(), lambda args: _sweeps().run(args)),
}


def wants_cli(argv: list[str]) -> bool:
    """Whether these arguments are for the command line rather than the window."""
    return bool(argv) and argv[0] in SUBCOMMANDS or any(a in argv for a in ("--headless", "-h", "--help"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in SUBCOMMANDS:
        make_parser, command = SUBCOMMANDS[argv[0]]
        args, argv = make_parser().parse_args(argv[1:]), None
    else:
        args, command = build_parser().parse_args(argv), run
    try:
        return command(args)
    except (DataError, ConfigError, CheckpointError, StoreError, ValueError) as e:
        print(f"main.py: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"main.py: error: {e.strerror or e}: {e.filename or ''}".rstrip(": ") + ".", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("main.py: interrupted", file=sys.stderr)
        return 130
