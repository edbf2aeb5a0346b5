"""Save and load a whole training state atomically: weights, BN buffers, config, step,
generator state, loss history and the word list itself (so a checkpoint needs no file)."""
from __future__ import annotations

import io
import os
import pickle
import tempfile
import zipfile
from pathlib import Path

import torch

from core.config import Config, ConfigError
from core.data import Dataset
from core.files import atomic_write
from core.training.trainer import Trainer

MAGIC = "makemore-playground-checkpoint"
VERSION = 1
ZIP_MAGIC = b"PK\x03\x04"


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded, with a message meant for a person."""


def _payload(trainer: Trainer) -> dict:
    return {"magic": MAGIC, "version": VERSION, "trainer": trainer.state(),
            "words": list(trainer.dataset.words), "source": trainer.dataset.source}


def save_checkpoint(trainer: Trainer, path: str | os.PathLike) -> None:
    """Write to a temporary file beside `path`, then rename: the old file survives any failure."""
    payload = _payload(trainer)
    atomic_write(Path(path), lambda f: torch.save(payload, f))


def checkpoint_bytes(trainer: Trainer) -> bytes:
    """The checkpoint file's bytes (what the run store keeps as a run's weights)."""
    buf = io.BytesIO()
    torch.save(_payload(trainer), buf)
    return buf.getvalue()


def load_checkpoint_bytes(data: bytes, name: str, device: str | None = None, engine: str | None = None) -> Trainer:
    """load_checkpoint of bytes from checkpoint_bytes; `name` is what messages call it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return load_checkpoint(path, device, engine)


def read_checkpoint(path: str | os.PathLike) -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No checkpoint at {path}." if not path.exists()
                              else f"{path} is not a file.")
    not_ours = CheckpointError(f"{path.name} is not a makemore playground checkpoint "
                               "(it may be another program's file).")
    try:
        # Checkpoints are zip archives (torch.save's format). torch.load neither checks the
        # archive's CRCs (a flipped byte in a tensor loads as a wrong weight) nor refuses a
        # text file cleanly (KeyError), so check both here first.
        with open(path, "rb") as f:
            head = f.read(len(ZIP_MAGIC))
        if not head:
            raise CheckpointError(f"{path.name} is empty; it is not a checkpoint.")
        if head != ZIP_MAGIC:
            raise not_ours
        with zipfile.ZipFile(path) as z:
            if z.testzip() is not None:
                raise CheckpointError(f"{path.name} is corrupt (a checksum does not match); "
                                      "it cannot be read.")
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as e:
        if "central directory" in str(e) or not isinstance(e, RuntimeError) \
                or "PytorchStreamReader" in str(e):
            raise CheckpointError(f"{path.name} is truncated or corrupt; it cannot be read.") from None
        raise CheckpointError(f"{path.name} is not a makemore playground checkpoint.") from None
    except (pickle.UnpicklingError, ValueError, AttributeError, ImportError, IndexError, KeyError):
        raise CheckpointError(f"{path.name} is not a makemore playground checkpoint.") from None
    except OSError as e:
        raise CheckpointError(f"Cannot read {path}: {e.strerror or e}.") from None
    if not isinstance(payload, dict) or payload.get("magic") != MAGIC:
        raise not_ours
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{path.name} was written by an incompatible version "
                              f"(format {payload.get('version')}, this app reads {VERSION}).")
    return payload


def load_checkpoint(path: str | os.PathLike, device: str | None = None, engine: str | None = None) -> Trainer:
    """A Trainer that continues exactly where the saved one stopped (with either engine:
    the state is the same torch tensors)."""
    payload = read_checkpoint(path)
    state = payload["trainer"]
    name = Path(path).name
    try:
        cfg = Config.from_dict(state["config"])
        if device is not None:
            cfg = cfg.replace(device=device)
        if engine is not None:
            cfg = cfg.replace(engine=engine)
        dataset = Dataset.from_words(payload["words"], cfg.block_size, source=payload["source"])
        trainer = Trainer(cfg, dataset)
        _check_shapes(name, state["model"], trainer)
        trainer.load_state(state)
    except CheckpointError:
        raise
    except (KeyError, TypeError, ConfigError, ValueError) as e:
        raise CheckpointError(f"{name} is damaged or incompatible: {e}") from None
    return trainer


def _check_shapes(name: str, weights: dict, trainer: Trainer) -> None:
    """Say whether saved weights that do not fit are off in their vocabulary or their architecture."""
    C = weights.get("C")
    n_vocab = len(trainer.dataset.vocab)
    if isinstance(C, torch.Tensor) and C.ndim == 2 and C.shape[0] != n_vocab:
        raise CheckpointError(f"{name} is damaged or incompatible: its weights are for a vocabulary of "
                              f"{C.shape[0]} characters, but its word list has {n_vocab}.")
    model = trainer.model
    mine = model.state()
    wrong = [f"{k} has shape {tuple(t.shape)}, the model needs {tuple(mine[k].shape)}"
             for k, t in weights.items()
             if isinstance(t, torch.Tensor) and k in mine and tuple(t.shape) != tuple(mine[k].shape)]
    wrong += [f"it lacks {k}" for k in mine if k not in weights]
    wrong += [f"{k} is not part of the model" for k in weights if k not in mine]
    if wrong:
        c = trainer.cfg
        raise CheckpointError(f"{name} is damaged or incompatible: its weights do not fit its architecture "
                              f"(n_embed {c.n_embed}, n_hidden {c.n_hidden}, block_size {c.block_size}, "
                              f"{c.n_layers} hidden layer{'s' if c.n_layers > 1 else ''}): "
                              + "; ".join(wrong[:2]) + (f" (and {len(wrong) - 2} more)." if len(wrong) > 2 else "."))


def check_compatible(trainer: Trainer, payload: dict) -> None:
    """Refuse a checkpoint whose vocabulary or architecture differs from `trainer`'s."""
    cfg = Config.from_dict(payload["trainer"]["config"])
    words = payload["words"]
    from core.data import Vocab
    vocab = Vocab.from_words(words)
    if vocab != trainer.dataset.vocab:
        raise CheckpointError(f"The checkpoint's vocabulary ({len(vocab)} characters) differs "
                              f"from this dataset's ({len(trainer.dataset.vocab)}).")
    arch = ("n_embed", "n_hidden", "block_size", "batchnorm", "n_layers", "activation", "layer_style", "fuse",
            "bn_dims")
    diff = [f"{k} {getattr(cfg, k)} vs {getattr(trainer.cfg, k)}" for k in arch
            if getattr(cfg, k) != getattr(trainer.cfg, k)]
    if diff:
        raise CheckpointError("The checkpoint's architecture differs: " + ", ".join(diff) + ".")
