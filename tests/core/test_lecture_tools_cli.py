"""The lectures' tools on the command line: --find-lr, --check-grads and --sample-tags."""
import re

import pytest

from core.data import split_words
from core.model.novelty import IN_HELD_OUT, IN_TRAIN, NEW, NoveltyIndex, shares, summary
from tests.core.test_cli import run_cli


@pytest.fixture
def words_path(word_file, small_words):
    return word_file(small_words)


ROW = re.compile(r"^(\S+)\s+\| exact: (True|False)\s* \| approximate: (True|False)\s* \| maxdiff: (\S+)$")


def test_find_lr_prints_the_curve_and_a_suggestion_then_exits(names_path):
    result = run_cli("--data", names_path, "--find-lr", "--engine", "exact")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "learning rate | loss    | smoothed"
    assert lines[1].split()[0] == "0.001" and lines[1].split()[2] == "3.3147"   # step 0's loss, from 1e-3
    m = re.fullmatch(r"suggested learning rate: (\S+) \(valley\)", lines[-1])
    assert m and 0.02 < float(m.group(1)) < 0.6
    assert not any(line.startswith(("train ", "val ")) for line in lines)   # nothing trained, nothing sampled


def test_check_grads_prints_the_lectures_table_for_the_exact_engine(words_path):
    result = run_cli("--data", words_path, "--check-grads", "--engine", "exact")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("exact engine:")))
    rows = [ROW.match(line) for line in lines[start + 1:start + 9]]
    assert all(rows), lines
    assert [r.group(1) for r in rows] == ["h", "W2", "b2", "bngain", "bnbias", "W1", "b1", "C"]
    assert all(r.group(2) == r.group(3) == "True" and float(r.group(4)) == 0.0 for r in rows)


def test_sample_tags_only_when_asked(words_path, small_words):
    plain = run_cli("--data", words_path, "--steps", "300", "--samples", "30")
    tagged = run_cli("--data", words_path, "--steps", "300", "--samples", "30", "--sample-tags")
    assert plain.returncode == tagged.returncode == 0
    plain_lines, tagged_lines = plain.stdout.splitlines(), tagged.stdout.splitlines()
    assert tagged_lines[:3] == plain_lines[:3]                  # progress, train, val
    names = plain_lines[3:]
    index = NoveltyIndex.of(small_words)
    body = tagged_lines[3:-1]
    assert [line.split()[0] for line in body] == names
    assert [line.split(None, 1)[1] for line in body] == index.tags([n.rstrip(".") for n in names])
    assert tagged_lines[-1] == summary(index.tags([n.rstrip(".") for n in names]))


def test_novelty_tags_follow_the_notebooks_split(small_words):
    parts = split_words(small_words)
    index = NoveltyIndex.of(small_words)
    assert {index.tag(w) for w in parts["train"]} == {IN_TRAIN}
    assert {index.tag(w) for w in parts["val"] + parts["test"]} == {IN_HELD_OUT}
    assert index.tag("zzyzx") == index.tag("") == NEW
    tags = index.tags([parts["train"][0], parts["test"][0], "zzyzx", "qq"])
    assert shares(tags) == {IN_TRAIN: 0.25, IN_HELD_OUT: 0.25, NEW: 0.5}
    assert summary(tags) == "1 in train (25%), 1 in val/test (25%), 2 new (50%)"
