"""`main.py --headless` as a user runs it: clean one-line errors, a small run, save and load."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

MAIN = Path(__file__).resolve().parents[2] / "main.py"
PROGRESS = re.compile(r"^\s*(\d+)/\s*(\d+): (\d+\.\d{4})$")
SPLIT = re.compile(r"^(train|val) (\d+\.\d+)$")


def run_cli(*args, timeout=180):
    return subprocess.run([sys.executable, str(MAIN), "--headless", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=MAIN.parent)


def assert_one_line_error(result, code=2, *, mentions=()):
    err_lines = result.stderr.strip().splitlines()
    assert result.returncode == code, result.stderr
    assert len(err_lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in mentions:
        assert word in result.stderr, result.stderr
    return err_lines[0]


@pytest.fixture
def words_path(word_file, small_words):
    return word_file(small_words)


@pytest.fixture
def latin1_path(tmp_path, small_words):
    path = tmp_path / "latin1.txt"
    path.write_bytes(("\n".join(small_words) + "\nren\u00e9e\n").encode("latin-1"))
    return path


@pytest.mark.parametrize("args, mentions", [
    (["--bogus"], ["unrecognized arguments", "--bogus"]),
    (["--lr", "-1"], ["--lr"]),
    (["--lr", "abc"], ["--lr", "abc"]),
    (["--steps", "0"], ["--steps"]),
    (["--batch-size", "abc"], ["--batch-size", "abc"]),
    (["--block-size", "2.5"], ["--block-size"]),
    (["--lr", "1e6"], ["far too large"]),
    (["--engine", "turbo"], ["--engine", "turbo", "fast", "exact"]),
    (["--batch-size", "3,2"], ["--batch-size", "3,2"]),     # a slip, not 32
    (["--layers", "1,0"], ["--layers", "1,0"]),             # not 10
], ids=["unknown-option", "negative-lr", "lr-not-a-number", "zero-steps", "batch-size-abc", "block-size-float",
        "lr-too-large", "unknown-engine", "batch-size-3,2", "layers-1,0"])
def test_bad_options_and_values(args, mentions):
    result = run_cli(*args)
    assert_one_line_error(result, mentions=mentions)
    assert result.stdout == ""


def test_missing_data_file(tmp_path):
    result = run_cli("--data", tmp_path / "nope.txt")
    assert_one_line_error(result, mentions=["No such file", "nope.txt"])


def test_data_is_a_directory(tmp_path):
    assert_one_line_error(run_cli("--data", tmp_path), mentions=["folder"])


def test_non_utf8_data_file(latin1_path):
    result = run_cli("--data", latin1_path)
    assert_one_line_error(result, mentions=["not UTF-8", "latin1.txt"])
    assert result.stdout == ""


def test_batch_larger_than_the_training_split(words_path):
    assert_one_line_error(run_cli("--data", words_path, "--batch-size", "100000"), mentions=["training split"])


def test_load_a_file_that_is_not_a_checkpoint(tmp_path, words_path):
    assert_one_line_error(run_cli("--load", words_path), mentions=["not a makemore playground checkpoint"])
    assert_one_line_error(run_cli("--load", tmp_path / "none.pt"), mentions=["No checkpoint"])


def test_save_into_a_missing_folder(tmp_path, words_path):
    result = run_cli("--data", words_path, "--steps", "20", "--samples", "0", "--save", tmp_path / "no" / "c.pt")
    assert_one_line_error(result)
    assert not (tmp_path / "no").exists()


def test_divergence_exits_with_one_line(words_path):
    """A batch of 2 sometimes holds two identical contexts: BatchNorm's std is then 0 and the
    loss NaN. The CLI stops, says so on one line and exits 1."""
    result = run_cli("--data", words_path, "--batch-size", "2", "--steps", "5000", "--samples", "0")
    line = assert_one_line_error(result, code=1, mentions=["NaN", "step"])
    assert "larger batch" in line  # the advice names the likely cause: a batch of 2 under BatchNorm


def parse_run(stdout, n_samples):
    lines = stdout.splitlines()
    progress = [PROGRESS.match(line) for line in lines if PROGRESS.match(line)]
    splits = {m.group(1): float(m.group(2)) for m in map(SPLIT.match, lines) if m}
    names = lines[-n_samples:] if n_samples else []
    return progress, splits, names, lines


def test_a_tiny_run(words_path):
    result = run_cli("--data", words_path, "--steps", "200", "--samples", "3")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    progress, splits, names, lines = parse_run(result.stdout, 3)
    assert len(lines) == 6
    assert [(m.group(1), m.group(2)) for m in progress] == [("0", "200")]
    assert 2.5 < float(progress[0].group(3)) < 4.5  # about ln(vocabulary size) at step 0
    assert lines[1].startswith("train ") and lines[2].startswith("val ")
    assert set(splits) == {"train", "val"} and all(0 < v < 4 for v in splits.values())
    assert len(names) == 3 and all(re.fullmatch(r"[a-z]+\.", n) or n == "." for n in names)


def test_save_then_load_continues_exactly(tmp_path, words_path):
    ck = tmp_path / "run.pt"
    first = run_cli("--data", words_path, "--steps", "200", "--samples", "3", "--save", ck)
    assert first.returncode == 0 and ck.is_file(), first.stderr

    again = run_cli("--load", ck, "--samples", "3")  # already at its max steps: evaluates only
    assert again.returncode == 0, again.stderr
    assert again.stdout == "\n".join(first.stdout.splitlines()[1:]) + "\n"

    continued = run_cli("--load", ck, "--steps", "400", "--samples", "3")
    straight = run_cli("--data", words_path, "--steps", "400", "--samples", "3")
    assert continued.returncode == 0 and straight.returncode == 0, continued.stderr + straight.stderr
    progress, splits, names, _ = parse_run(continued.stdout, 3)
    assert progress == []  # it did not start again from step 0
    assert continued.stdout.splitlines() == straight.stdout.splitlines()[1:]
    assert splits != parse_run(first.stdout, 3)[1]  # and it did train further

    below = run_cli("--load", ck, "--steps", "100")
    assert_one_line_error(below, mentions=["below the current step"])


def test_a_run_saved_by_one_engine_continues_in_the_other(tmp_path, words_path):
    """The headless run, in either engine, and a checkpoint handed from one to the other."""
    for first, second in (("fast", "exact"), ("exact", "fast")):
        ck = tmp_path / f"{first}.pt"
        saved = run_cli("--data", words_path, "--steps", "200", "--samples", "0", "--engine", first, "--save", ck)
        assert saved.returncode == 0 and saved.stderr == "", saved.stderr
        continued = run_cli("--load", ck, "--steps", "400", "--samples", "3", "--engine", second)
        straight = run_cli("--data", words_path, "--steps", "400", "--samples", "3", "--engine", second)
        assert continued.returncode == 0 and straight.returncode == 0, continued.stderr + straight.stderr
        ours, theirs = parse_run(continued.stdout, 3), parse_run(straight.stdout, 3)
        assert ours[0] == []
        for split in ("train", "val"):
            assert abs(ours[1][split] - theirs[1][split]) < 1e-4, split


def test_load_refuses_model_options_and_applies_live_ones(words_path, tmp_path):
    ckpt = tmp_path / "run.pt"
    assert run_cli("--data", words_path, "--steps", "100", "--samples", "0", "--save", ckpt).returncode == 0
    refused = run_cli("--load", ckpt, "--n-hidden", "50", "--no-batchnorm")
    assert_one_line_error(refused, mentions=["--n-hidden", "--no-batchnorm", "cannot change"])
    resumed = run_cli("--load", ckpt, "--steps", "300", "--lr", "0.05", "--samples", "0")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.splitlines()[0].startswith("train ")  # no progress line: step 0 was in the first run


def test_save_into_a_missing_folder_fails_before_training(words_path, tmp_path):
    result = run_cli("--data", words_path, "--steps", "100000", "--save", tmp_path / "nope" / "run.pt")
    assert_one_line_error(result, mentions=["does not exist"])
    assert result.stdout == ""  # refused before the first step
