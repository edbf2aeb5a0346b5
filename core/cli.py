"""`python main.py --headless`: train, evaluate and sample in the terminal, notebook style."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .config import ENGINES, Config, ConfigError, load_config_file
from .data import DataError, Dataset
from .sample import NOTEBOOK_SAMPLE_SEED, sample_names
from .train import Trainer

PRINT_EVERY = 10_000


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def int_at_least(minimum: int):
    """An argparse type: a whole number >= minimum, with a message that says what is wrong."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}" if minimum > 0
                                             else f"cannot be negative, got {value}")
        return value
    return parse


positive_int, non_negative_int = int_at_least(1), int_at_least(0)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number greater than 0, got {text}")
    return value


def build_parser(prog: str = "main.py") -> argparse.ArgumentParser:
    d = Config()
    p = OneLineParser(prog=prog, description="makemore playground: train the makemore MLP "
                      "with BatchNorm on a list of names. Without --headless, opens the window.")
    p.add_argument("--headless", action="store_true", help="train in the terminal, no window")
    p.add_argument("--config", metavar="FILE", help="a setup file (.toml or .json) saved by the app")
    p.add_argument("--data", metavar="PATH", help="word list, one name per line "
                   "(default: the built-in US names of 2017; 'builtin:YEAR' for another year)")
    g = p.add_argument_group("training")
    g.add_argument("--steps", type=positive_int, help=f"steps to train (default {d.max_steps})")
    g.add_argument("--batch-size", type=positive_int, help=f"default {d.batch_size}")
    g.add_argument("--lr", type=positive_float, help=f"learning rate (default {d.lr})")
    g.add_argument("--lr-decay-step", type=non_negative_int,
                   help=f"step from which --lr-after is used (default {d.lr_decay_step})")
    g.add_argument("--lr-after", type=positive_float, help=f"learning rate after decay (default {d.lr_after})")
    m = p.add_argument_group("model (initialisation and architecture)")
    m.add_argument("--n-embed", type=positive_int, help=f"default {d.n_embed}")
    m.add_argument("--n-hidden", type=positive_int, help=f"default {d.n_hidden}")
    m.add_argument("--block-size", type=positive_int, help=f"context length (default {d.block_size})")
    m.add_argument("--seed", type=int, help=f"init and minibatch seed (default {d.seed})")
    m.add_argument("--no-batchnorm", action="store_true", help="no BatchNorm layer")
    m.add_argument("--no-fix-w2", action="store_true", help="W2 not scaled by 0.01")
    m.add_argument("--no-fix-b2", action="store_true", help="b2 not zeroed")
    m.add_argument("--no-fix-w1", action="store_true", help="W1 not Kaiming-scaled")
    m.add_argument("--no-fix-b1", action="store_true", help="b1 not scaled by 0.01")
    m.add_argument("--w1-scale", type=positive_float,
                   help="scale W1 by this plain factor (e.g. 0.2) instead of Kaiming")
    m.add_argument("--device", choices=("cpu", "cuda"), help="default cpu")
    m.add_argument("--engine", choices=ENGINES,
                   help="fast: a compiled kernel, the notebook's numbers to float32 rounding (default, on the "
                        "CPU); exact: torch autograd, bit for bit the notebook")
    s = p.add_argument_group("sampling and checkpoints")
    s.add_argument("--samples", type=non_negative_int, default=20, help="names to sample at the end (default 20)")
    s.add_argument("--sample-seed", type=int, default=NOTEBOOK_SAMPLE_SEED, help="default the notebook's")
    s.add_argument("--temperature", type=positive_float, default=1.0)
    s.add_argument("--save", metavar="FILE", help="save a checkpoint at the end")
    s.add_argument("--load", metavar="FILE", help="continue from a checkpoint")
    return p


def config_from_args(args: argparse.Namespace) -> Config:
    cfg = load_config_file(args.config) if args.config else Config()
    flags = {"data": args.data, "max_steps": args.steps, "batch_size": args.batch_size, "lr": args.lr,
             "lr_decay_step": args.lr_decay_step, "lr_after": args.lr_after, "n_embed": args.n_embed,
             "n_hidden": args.n_hidden, "block_size": args.block_size, "seed": args.seed,
             "w1_scale": args.w1_scale, "device": args.device, "engine": args.engine}
    changes = {k: v for k, v in flags.items() if v is not None}
    for flag, field in (("no_batchnorm", "batchnorm"), ("no_fix_w2", "fix_w2"), ("no_fix_b2", "fix_b2"),
                        ("no_fix_w1", "fix_w1"), ("no_fix_b1", "fix_b1")):
        if getattr(args, flag):
            changes[field] = False
    return cfg.replace(**changes).validate()


def run(args: argparse.Namespace, out=sys.stdout) -> int:
    torch.set_num_threads(1)  # the tiny matrices here run slower split across threads
    if args.save:
        folder = Path(args.save).resolve().parent
        if not folder.is_dir():
            raise ConfigError(f"Cannot save to {args.save}: the folder {folder} does not exist.")
    if args.load:
        fixed = [flag for flag, value in (("--data", args.data), ("--config", args.config),
                 ("--n-embed", args.n_embed), ("--n-hidden", args.n_hidden), ("--block-size", args.block_size),
                 ("--seed", args.seed), ("--w1-scale", args.w1_scale)) if value is not None]
        fixed += [f"--{f.replace('_', '-')}" for f in ("no_batchnorm", "no_fix_w2", "no_fix_b2", "no_fix_w1",
                                                          "no_fix_b1") if getattr(args, f)]
        if fixed:
            raise ConfigError(f"{', '.join(fixed)} cannot change a loaded checkpoint's model; "
                              "only --steps, --lr, --lr-decay-step, --lr-after and --batch-size can.")
        trainer = load_checkpoint(args.load, device=args.device, engine=args.engine)
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
    max_steps = trainer.cfg.max_steps
    while not trainer.done:
        i = trainer.step
        losses = trainer.train(PRINT_EVERY - i % PRINT_EVERY)   # up to the next progress line
        if i % PRINT_EVERY == 0 and losses:
            print(f"{i:7d}/{max_steps:7d}: {losses[0]:.4f}", file=out, flush=True)
        if trainer.divergence:
            print(trainer.divergence, file=sys.stderr)
            return 1
    for split in ("train", "val"):
        print(split, trainer.split_loss(split), file=out)
    for s in sample_names(trainer.model, trainer.dataset.vocab, args.samples,
                          seed=args.sample_seed, temperature=args.temperature):
        print(s.notebook_line, file=out)
    if args.save:
        save_checkpoint(trainer, args.save)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (DataError, ConfigError, CheckpointError, ValueError) as e:
        print(f"main.py: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"main.py: error: {e.strerror or e}: {e.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("main.py: interrupted", file=sys.stderr)
        return 130
