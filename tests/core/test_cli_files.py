"""`main.py --headless` end to end over odd word lists, wild values and bad checkpoints: what
cannot work ends in one line on stderr and exit 2 (no traceback); odd but valid files train.

The runs are independent subprocesses, each mostly importing torch, so they are started
together once per module and each test reads its own result."""
import os
import random
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

MAIN = Path(__file__).resolve().parents[2] / "main.py"

BAD_LISTS = {
    # id: (contents or None for a special path, words the error must contain)
    "missing": (None, ["No such file", "nope.txt"]),
    "directory": (None, ["is a folder"]),
    "no-permission": (None, ["Permission denied", "locked.txt"]),
    "empty": (b"", ["empty"]),
    "blank-lines": (b"\n\n   \n\t\n\r\n", ["blank lines"]),
    "binary": (b"emma\x00\x00\x01\x02olivia\n" * 20, ["binary", "NUL"]),
    "latin-1": ("ren\u00e9e\nzo\u00eb\n".encode("latin-1") * 10, ["not UTF-8", "0xe9"]),
    "single-word": (b"emma\n", ["only 1 word"]),
}

WILD_VALUES = {
    # id: (options, words the error must contain)
    "lr-0": (["--lr", "0"], ["--lr", "greater than 0"]),
    "lr-negative": (["--lr", "-0.1"], ["--lr"]),
    "lr-1e6": (["--lr", "1e6"], ["far too large"]),
    "batch-0": (["--batch-size", "0"], ["--batch-size", "at least 1"]),
    "batch-larger-than-split": (["--batch-size", "100000"], ["larger than the training split", "use at most"]),
    "batch-1-with-batchnorm": (["--batch-size", "1"], ["BatchNorm needs a batch of at least 2"]),
    "block-size-0": (["--block-size", "0"], ["--block-size", "at least 1"]),
    "n-hidden-0": (["--n-hidden", "0"], ["--n-hidden", "at least 1"]),
    "n-embed-huge": (["--n-embed", "10000", "--block-size", "10", "--n-hidden", "1000"],
                     ["parameters in W1 alone", "Make it smaller"]),
    "n-embed-beyond-its-limit": (["--n-embed", "100000"], ["--n-embed", "at most 10,000"]),
    "seed-beyond-torch": (["--seed", str(2**70)], ["--seed", "at most 18,446,744,073,709,551,615"]),
    "samples-beyond-the-cap": (["--samples", "100000000"], ["--samples", "at most 10,000"]),
    "steps-0": (["--steps", "0"], ["--steps"]),
}


def plain_words(n=200, seed=1):
    rng = random.Random(seed)
    return ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(3, 7))) for _ in range(n)]


def good_list(kind: str, folder: Path) -> Path:
    """Odd files that must simply work."""
    rng = random.Random(2)
    words = plain_words()
    path = folder / f"{kind}.txt"
    if kind == "crlf-bom":
        path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(words) + "\r\n").encode())
    elif kind == "utf-16":
        path.write_bytes(("\r\n".join(words) + "\r\n").encode("utf-16"))
    elif kind == "one-character-words":
        path.write_text("\n".join(rng.choice("abcdefghij") for _ in range(200)) + "\n")
    elif kind == "10000-character-line":
        path.write_text("\n".join(words + ["".join(rng.choice("abc") for _ in range(10_000))]) + "\n")
    elif kind == "upper-case-and-accents":
        accented = ["Émile", "Zoë", "ANNA", "José", "Ångström", "Chloé", "Björn", "Renée", "Müller", "Noël"] * 3
        path.write_text("\n".join(words + accented) + "\n", encoding="utf-8")
    else:
        raise AssertionError(kind)
    return path


GOOD_LISTS = ["crlf-bom", "utf-16", "one-character-words", "10000-character-line", "upper-case-and-accents"]


def bad_list(kind: str, folder: Path) -> Path:
    content, _ = BAD_LISTS[kind]
    if kind == "missing":
        return folder / "nope.txt"
    if kind == "directory":
        (folder / "a-folder").mkdir()
        return folder / "a-folder"
    if kind == "no-permission":
        path = folder / "locked.txt"
        path.write_text("\n".join(plain_words()) + "\n")
        path.chmod(0)
        return path
    path = folder / f"{kind}.txt"
    path.write_bytes(content)
    return path


def bad_checkpoint(kind: str, good: Path, folder: Path) -> tuple[Path, list[str]]:
    path = folder / f"{kind}.pt"
    data = good.read_bytes()
    if kind == "truncated":
        path.write_bytes(data[: len(data) * 2 // 3])
        return path, ["truncated or corrupt"]
    if kind == "corrupt":
        with zipfile.ZipFile(good) as z:
            info = max((i for i in z.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        spoilt = bytearray(data)
        spoilt[start + info.file_size // 2] ^= 0x01
        path.write_bytes(bytes(spoilt))
        return path, ["corrupt", "checksum"]
    if kind == "foreign":
        torch.save({"model": torch.zeros(4)}, path)
        return path, ["not a makemore playground checkpoint"]
    payload = torch.load(good, weights_only=True)
    if kind == "other-vocabulary":
        payload["words"] = payload["words"] + ["xyzzyq"]
        words = ["vocabulary of 11 characters", "word list has 15"]
    elif kind == "other-architecture":
        payload["trainer"]["config"]["n_embed"] = 4
        words = ["architecture", "n_embed 4"]
    else:
        raise AssertionError(kind)
    torch.save(payload, path)
    return path, words


BAD_CHECKPOINTS = ["truncated", "corrupt", "foreign", "other-vocabulary", "other-architecture"]


def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, str(MAIN), "--headless", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=MAIN.parent)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Every run of this module, started together (two at a time per core)."""
    folder = tmp_path_factory.mktemp("cli-files")
    words = folder / "words.txt"
    words.write_text("\n".join(plain_words()) + "\n")
    good_ckpt = folder / "good.pt"
    made = run_cli("--data", words, "--steps", "20", "--samples", "0", "--save", good_ckpt)
    assert made.returncode == 0, made.stderr

    runs, expect = {}, {}
    for kind in BAD_LISTS:
        runs[("bad-list", kind)] = ["--data", bad_list(kind, folder), "--steps", "10", "--samples", "0"]
    for kind in GOOD_LISTS:
        runs[("good-list", kind)] = ["--data", good_list(kind, folder), "--steps", "300", "--samples", "5",
                                     "--batch-size", "32"]
    for kind, (options, _) in WILD_VALUES.items():
        runs[("wild", kind)] = ["--data", words, "--steps", "10", "--samples", "0", *options]
    for kind in BAD_CHECKPOINTS:
        path, expect[kind] = bad_checkpoint(kind, good_ckpt, folder)
        runs[("checkpoint", kind)] = ["--load", path, "--steps", "40", "--samples", "0"]
    runs[("checkpoint", "below-current-step")] = ["--load", good_ckpt, "--steps", "10"]
    expect["below-current-step"] = ["Max steps (10) cannot be below the current step (20)"]
    with ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 1)) as pool:
        done = dict(zip(runs, pool.map(lambda args: run_cli(*args), runs.values()), strict=True))
    (folder / "locked.txt").chmod(0o644)
    return done, expect


def assert_one_line_error(result, mentions):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("main.py: error: "), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    for word in mentions:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("kind", list(BAD_LISTS))
def test_a_bad_word_list_ends_in_one_line_and_exit_2(results, kind):
    result = results[0][("bad-list", kind)]
    if kind == "no-permission" and hasattr(os, "geteuid") and os.geteuid() == 0:
        assert result.returncode == 0, result.stderr   # root reads a chmod 000 file: it simply works
        return
    assert_one_line_error(result, BAD_LISTS[kind][1])


@pytest.mark.parametrize("kind", GOOD_LISTS)
def test_an_odd_but_valid_word_list_trains(results, kind):
    result = results[0][("good-list", kind)]
    assert result.returncode == 0 and result.stderr == "", result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("      0/    300: ")
    assert lines[1].startswith("train ") and lines[2].startswith("val ")
    names = lines[3:]
    assert len(names) == 5 and all(names)   # a name may run to the length cap (no closing ".")
    assert "\r" not in result.stdout and "\ufeff" not in result.stdout


@pytest.mark.parametrize("kind", list(WILD_VALUES))
def test_a_wild_value_ends_in_one_line_and_exit_2(results, kind):
    assert_one_line_error(results[0][("wild", kind)], WILD_VALUES[kind][1])


@pytest.mark.parametrize("kind", [*BAD_CHECKPOINTS, "below-current-step"])
def test_a_bad_checkpoint_ends_in_one_line_and_exit_2(results, kind):
    done, expect = results
    assert_one_line_error(done[("checkpoint", kind)], expect[kind])
