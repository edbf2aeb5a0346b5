"""Word lists, vocabulary, the notebook's split and context windows; bad files refused clearly."""
import os
import random
import socket

import numpy as np
import pytest
import torch

from core.config import Config
from core.data import DataError, Dataset, Vocab, build_windows, builtin_words, load_words, words_from_source
from core.training.trainer import Trainer


def notebook_vocab(words):
    """The notebook's cell 4, verbatim."""
    chars = sorted(list(set(''.join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi['.'] = 0
    itos = {i: s for s, i in stoi.items()}
    return stoi, itos


def notebook_build_dataset(words, stoi, block_size):
    """The notebook's build_dataset (cell 5), with block_size as an argument."""
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + '.':
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]  # crop and append
    return torch.tensor(X, dtype=torch.int64).reshape(-1, block_size), torch.tensor(Y, dtype=torch.int64)


def assert_windows_match_notebook(words, block_size):
    vocab = Vocab.from_words(words)
    stoi, _ = notebook_vocab(words)
    X, Y = build_windows(words, vocab, block_size)
    Xn, Yn = notebook_build_dataset(words, stoi, block_size)
    assert X.shape == Xn.shape and Y.shape == Yn.shape
    assert torch.equal(X, Xn) and torch.equal(Y, Yn)


# -- names.txt, as the notebook reads it ----------------------------------------------------

@pytest.fixture(scope="module")
def notebook_words(names_path):
    return open(names_path).read().splitlines()


def test_load_words_reads_names_txt_as_the_notebook(names_path, notebook_words):
    assert load_words(names_path) == notebook_words
    assert len(notebook_words) == 32033  # the notebook's len(words)


def test_vocab_equals_the_notebooks_itos(names_dataset, notebook_words):
    _, itos = notebook_vocab(notebook_words)
    assert list(names_dataset.vocab.itos) == [itos[i] for i in range(len(itos))]
    # the notebook's printed itos: '.' then a..z, vocab_size=27
    assert "".join(names_dataset.vocab.itos) == ".abcdefghijklmnopqrstuvwxyz"


def test_split_shapes_are_the_notebooks(names_dataset):
    shapes = {k: (tuple(x.shape), tuple(y.shape)) for k, (x, y) in names_dataset.splits.items()}
    assert shapes == {"train": ((182625, 3), (182625,)),
                      "val": ((22655, 3), (22655,)),
                      "test": ((22866, 3), (22866,))}


def test_splits_equal_the_notebooks_shuffle_and_build_dataset(names_dataset, notebook_words):
    words = list(notebook_words)
    state = random.getstate()
    try:
        random.seed(42)
        random.shuffle(words)
    finally:
        random.setstate(state)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    stoi, _ = notebook_vocab(words)
    for split, part in (("train", words[:n1]), ("val", words[n1:n2]), ("test", words[n2:])):
        X, Y = notebook_build_dataset(part, stoi, 3)
        assert torch.equal(names_dataset.splits[split][0], X), split
        assert torch.equal(names_dataset.splits[split][1], Y), split


@pytest.mark.parametrize("block_size", [1, 3, 5])
def test_build_windows_equals_the_notebook_loop_on_a_hand_list(block_size):
    words = ["a", "ab", "emma", "bob", "zz", "olivia", "x", "anna", "abcdefgh", "yo"]
    assert_windows_match_notebook(words, block_size)


def test_build_windows_on_a_word_by_hand():
    vocab = Vocab.from_words(["ab"])  # . a b
    X, Y = build_windows(["ab"], vocab, 2)
    assert X.tolist() == [[0, 0], [0, 1], [1, 2]]
    assert Y.tolist() == [1, 2, 0]


def test_build_windows_with_non_ascii_characters():
    words = ["Émile", "zoë", "ANNA", "józef", "żaneta", "李", "𝒜lice", "o'neil", "mary ann", "ßa"]
    for block_size in (1, 3, 5):
        assert_windows_match_notebook(words, block_size)


# -- the built-in dataset --------------------------------------------------------------------

@pytest.fixture(scope="module")
def builtin_2017():
    real_connect = socket.socket.connect

    def no_network(*args, **kwargs):
        raise OSError("network access attempted by the built-in dataset")

    socket.socket.connect = no_network
    try:
        return builtin_words()
    finally:
        socket.socket.connect = real_connect


def test_builtin_dataset_starts_with_2017s_top_girls_names(builtin_2017):
    # SSA's most popular girls' names of 2017, in order
    assert builtin_2017[:5] == ["emma", "olivia", "ava", "isabella", "sophia"]


def test_builtin_dataset_is_lowercase_without_duplicates(builtin_2017):
    assert len(builtin_2017) > 10_000
    assert len(set(builtin_2017)) == len(builtin_2017)
    assert all(w == w.lower() and w.isalpha() for w in builtin_2017)


def test_builtin_other_year_and_bad_years():
    assert words_from_source("builtin:1880")[0] == "mary"  # 1880's most popular girls' name
    with pytest.raises(DataError, match="1880-2017"):
        words_from_source("builtin:3000")
    with pytest.raises(DataError, match="must be a number"):
        words_from_source("builtin:last")


# -- parsing -------------------------------------------------------------------------------

def test_crlf_and_bom(tmp_path, small_words):
    path = tmp_path / "windows.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(small_words).encode() + b"\r\n")
    words = load_words(path)
    assert words == small_words
    vocab = Vocab.from_words(words)
    assert "\r" not in vocab.itos and "\ufeff" not in vocab.itos


def test_blank_lines_and_surrounding_spaces_are_dropped(word_file, small_words):
    path = word_file(["", "  " + small_words[0] + "  ", "", *small_words[1:], "   "])
    assert load_words(path) == small_words


def test_upper_case_and_accents_grow_the_vocabulary_and_train(word_file, small_words):
    extra = ["Émile", "Zoë", "ANNA", "José", "Ångström", "Chloé", "Björn", "Renée", "Müller", "Noël"]
    words = load_words(word_file(small_words + extra))
    dataset = Dataset.from_words(words, 3)
    plain = Vocab.from_words(small_words)
    new_chars = set("".join(extra)) - set(plain.itos)
    assert new_chars == {c for c in "".join(extra) if c.isupper() or not c.isascii()}
    assert set(dataset.vocab.itos) == set(plain.itos) | new_chars
    assert len(dataset.vocab) == len(plain) + len(new_chars)

    trainer = Trainer(Config(max_steps=300), dataset)
    C0 = trainer.model.C.detach().clone()
    losses = trainer.train(300)
    assert len(losses) == 300 and all(np.isfinite(losses))
    # every new character met in the training split got its embedding trained
    train_ids = set(dataset.splits["train"][0].flatten().tolist())
    moved = [ch for ch in new_chars if dataset.vocab.stoi[ch] in train_ids]
    assert moved, "no new character in the training split"
    for ch in moved:
        i = dataset.vocab.stoi[ch]
        assert not torch.equal(trainer.model.C[i].detach(), C0[i]), ch


# -- files that work -----------------------------------------------------------------------

def test_one_character_words_work_with_ten_of_them(word_file):
    words = list("abcdefghij")
    dataset = Dataset.load(str(word_file(words)), 3)
    assert "".join(dataset.vocab.itos) == ".abcdefghij"
    assert sum(x.shape[0] for x, _ in dataset.splits.values()) == 20  # each letter and its '.'


def test_nine_words_are_refused(word_file):
    with pytest.raises(DataError, match="only 9 word"):
        load_words(word_file(list("abcdefghi")))


def test_a_10000_character_line_works(word_file, small_words):
    rng = random.Random(0)
    long_word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(10_000))
    words = load_words(word_file(small_words + [long_word]))
    assert long_word in words
    dataset = Dataset.from_words(words, 3)
    total = sum(x.shape[0] for x, _ in dataset.splits.values())
    assert total == sum(len(w) + 1 for w in words)
    assert_windows_match_notebook([long_word, "ab"], 3)


def test_a_5_mb_file_of_500000_lines_loads(tmp_path):
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
    body = letters[rng.integers(0, 26, size=(500_000, 9))]
    lines = np.concatenate([body, np.full((500_000, 1), ord("\n"), dtype=np.uint8)], axis=1)
    path = tmp_path / "big.txt"
    path.write_bytes(lines.tobytes())
    assert path.stat().st_size == 5_000_000
    dataset = Dataset.load(str(path), 3)
    assert len(dataset.words) == 500_000
    assert sum(x.shape[0] for x, _ in dataset.splits.values()) == 500_000 * 10


# -- files that must be refused with a clear message -----------------------------------------

def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="No such file") as e:
        load_words(tmp_path / "nope.txt")
    assert "nope.txt" in str(e.value)


def test_a_directory(tmp_path):
    with pytest.raises(DataError, match="folder"):
        load_words(tmp_path)


def test_no_read_permission_simulated(word_file, small_words, monkeypatch):
    """Simulated: the tests may run as root, whom chmod 000 does not stop."""
    path = word_file(small_words)

    def denied(file, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(file))

    monkeypatch.setattr("core.files.open", denied, raising=False)   # what reads a word list
    with pytest.raises(DataError, match="Permission denied") as e:
        load_words(path)
    assert "words.txt" in str(e.value)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root can read a chmod 000 file; the simulated test above covers this")
def test_no_read_permission_real(word_file, small_words):
    path = word_file(small_words)
    path.chmod(0)
    try:
        with pytest.raises(DataError, match="Permission denied"):
            load_words(path)
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"\n\n   \n\t\n\r\n", "blank lines"),
    (b"emma\x00\x00\x01\x02olivia\n" * 20, "binary"),
    ("ren\u00e9e\nzo\u00eb\n".encode("latin-1") * 10, "not UTF-8"),
    (b"emma\n", "only 1 word"),
    (b"emma\nst. john\n" * 10, "contains '.'"),
], ids=["empty", "blank-lines", "binary", "latin-1", "single-word", "dot-in-word"])
def test_bad_contents_are_refused(tmp_path, content, message):
    path = tmp_path / "list.txt"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as e:
        load_words(path)
    assert "list.txt" in str(e.value)


def test_latin_1_message_names_the_byte(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("emma\nren\u00e9e\n".encode("latin-1") * 10)
    with pytest.raises(DataError, match="0xe9"):
        load_words(path)


def test_utf16_with_bom_is_read_not_called_binary(tmp_path, small_words):
    from core.data import load_words
    path = tmp_path / "unicode.txt"
    path.write_bytes(("\r\n".join(small_words) + "\r\n").encode("utf-16"))  # BOM + UTF-16-LE, as Notepad
    assert load_words(path) == small_words
