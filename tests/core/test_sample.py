"""Sampling names: reproducible, temperature, prefix, length cap, per-character probabilities."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.config import Config
from core.data import DataError
from core.model.sample import NOTEBOOK_SAMPLE_SEED, sample_names
from core.training.trainer import Trainer


@pytest.fixture(scope="module")
def trained(names_dataset):
    trainer = Trainer(Config(), names_dataset)
    trainer.train(2000)
    return trainer


def sample(trainer, **kw):
    return sample_names(trainer.model, trainer.dataset.vocab, **kw)


def next_char_probs(trainer, context, temperature=1.0):
    x = torch.tensor([context])
    with torch.no_grad():
        logits = trainer.model.forward(x, training=False).logits
    return F.softmax(logits / temperature, dim=1)[0]


def test_same_seed_same_names(trained):
    a, b = sample(trained, n=20, seed=7), sample(trained, n=20, seed=7)
    assert [s.text for s in a] == [s.text for s in b]
    assert [s.probs for s in a] == [s.probs for s in b]
    c = sample(trained, n=20, seed=8)
    assert [s.text for s in a] != [s.text for s in c]


def test_default_seed_is_the_notebooks(trained):
    assert NOTEBOOK_SAMPLE_SEED == 2147483647 + 10
    assert [s.text for s in sample(trained, n=5)] == [s.text for s in sample(trained, n=5, seed=2147483657)]


def test_no_seed_gives_fresh_names(trained):
    a, b = sample(trained, n=20, seed=None), sample(trained, n=20, seed=None)
    assert [s.text for s in a] != [s.text for s in b]


def test_sampling_does_not_disturb_training(names_dataset):
    plain, sampled = Trainer(Config(), names_dataset), Trainer(Config(), names_dataset)
    plain_losses = plain.train(100)
    sampled_losses = sampled.train(50)
    sample(sampled, n=10, seed=None)
    sampled_losses += sampled.train(50)
    assert plain_losses == sampled_losses


def test_probs_are_the_models_next_character_probabilities(trained):
    stoi = trained.dataset.vocab.stoi
    for temperature in (1.0, 0.5, 2.0):
        s = sample(trained, n=1, seed=3, temperature=temperature)[0]
        context = [0, 0, 0]
        for ch, p in zip(s.chars, s.probs, strict=True):
            expected = next_char_probs(trained, context, temperature)[stoi[ch]].item()
            assert p == pytest.approx(expected, rel=1e-5)
            context = context[1:] + [stoi[ch]]


def test_temperature_sharpens_or_flattens(trained):
    def mean_log_prob(temperature):
        names = sample(trained, n=300, seed=11, temperature=temperature)
        return np.mean([np.log(p) for s in names for p in s.probs])

    cold, normal, hot = mean_log_prob(0.5), mean_log_prob(1.0), mean_log_prob(2.0)
    assert cold > normal > hot
    first = next_char_probs(trained, [0, 0, 0])
    assert next_char_probs(trained, [0, 0, 0], 0.5).max() > first.max() > next_char_probs(trained, [0, 0, 0], 2).max()


def test_prefix_is_kept_and_fed_as_context(trained):
    names = sample(trained, n=30, seed=5, prefix="em")
    assert all(s.text.startswith("em") for s in names)
    stoi = trained.dataset.vocab.stoi
    probs = next_char_probs(trained, [0, stoi["e"], stoi["m"]])
    for s in names:
        assert s.probs[0] == pytest.approx(probs[stoi[s.chars[0]]].item(), rel=1e-5)


def test_prefix_longer_than_the_context(trained):
    names = sample(trained, n=5, seed=5, prefix="christo")
    stoi = trained.dataset.vocab.stoi
    probs = next_char_probs(trained, [stoi["s"], stoi["t"], stoi["o"]])
    for s in names:
        assert s.text.startswith("christo")
        assert s.probs[0] == pytest.approx(probs[stoi[s.chars[0]]].item(), rel=1e-5)


def test_prefix_outside_the_vocabulary(trained):
    with pytest.raises(DataError, match="not in this dataset's vocabulary"):
        sample(trained, n=1, prefix="Ém")


def test_length_cap(trained):
    names = sample(trained, n=100, seed=2, temperature=3.0, max_len=4)
    assert all(len(s.text) <= 4 for s in names)
    cut = [s for s in names if s.truncated]
    assert cut, "no name reached the cap"
    for s in cut:
        assert len(s.text) == 4 and s.chars[-1] != "." and not s.notebook_line.endswith(".")
    with_prefix = sample(trained, n=50, seed=2, temperature=3.0, prefix="ma", max_len=5)
    assert all(len(s.text) <= 5 for s in with_prefix)


def test_each_sample_has_one_probability_per_character(trained):
    for prefix in ("", "ka"):
        for s in sample(trained, n=100, seed=9, temperature=1.5, prefix=prefix, max_len=12):
            assert len(s.probs) == len(s.chars)
            assert all(0.0 < p <= 1.0 for p in s.probs)
            assert s.text == prefix + "".join(s.chars).rstrip(".")
            assert "." not in s.chars[:-1]
            assert (s.chars[-1] == ".") == (not s.truncated)
            assert len(s.chars) == len(s.text) - len(prefix) + (0 if s.truncated else 1)
            assert s.notebook_line == s.text + ("" if s.truncated else ".")


def test_bad_arguments(trained):
    assert sample(trained, n=0) == []
    for kw, msg in (({"n": -1}, "negative"), ({"temperature": 0.0}, "temperature"), ({"max_len": 0}, "cap")):
        with pytest.raises(ValueError, match=msg):
            sample(trained, **kw)


def test_a_prefix_as_long_as_the_cap_is_refused():
    from core.config import Config
    from core.data import Dataset
    from core.model.sample import sample_names
    from core.training.trainer import Trainer
    words = ["anna", "bert", "carl", "dora", "emil", "fred", "gina", "hans", "ida", "jan", "kai"]
    trainer = Trainer(Config(), Dataset.from_words(words, 3))
    with pytest.raises(ValueError, match="shorter than the length cap"):
        sample_names(trainer.model, trainer.dataset.vocab, 1, prefix="anna", max_len=4)
