"""The Trainer: schedule, live settings, refused settings, NaN stop, statistics, BN calibration."""
import math
import resource
import time

import numpy as np
import pytest
import torch

import core.training.trainer
from core.config import Config, ConfigError
from core.data import Dataset
from core.training.trainer import Trainer


def params_copy(trainer):
    return [p.detach().clone() for p in trainer.model.parameters()]


def buffers_copy(trainer):
    return [b.clone() for b in trainer.model.buffers()]


def assert_same_tensors(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert torch.equal(x, y)


def step_lr(trainer):
    """Take one step; return the learning rate its update actually used, from the weights."""
    before = params_copy(trainer)
    trainer.train_step()
    rec = trainer.last
    # W2's update: W2_new = W2_old - lr * grad
    i = rec.param_names.index("W2")
    delta = before[i] - trainer.model.W2.detach()
    grad = rec.grads[i]
    mask = grad.abs() > 1e-4
    return (delta[mask] / grad[mask]).median().item()


# -- schedule and live settings ----------------------------------------------------------------

def test_notebook_schedule():
    cfg = Config()
    assert [cfg.lr_at(i) for i in (0, 49_999, 50_000, 99_999)] == [0.1, 0.1, 0.01, 0.01]


def test_learning_rate_decays_at_lr_decay_step(small_dataset):
    trainer = Trainer(Config(lr=0.5, lr_decay_step=3, lr_after=0.05), small_dataset)
    used = [step_lr(trainer) for _ in range(6)]
    assert np.allclose(used, [0.5, 0.5, 0.5, 0.05, 0.05, 0.05], rtol=1e-3)
    assert trainer.lr == 0.05


def test_set_live_applies_before_the_next_step_and_records_an_event(small_dataset):
    trainer = Trainer(Config(), small_dataset)
    trainer.train(5)
    described = trainer.set_live(lr=0.03, batch_size=7)
    assert len(described) == 2
    assert trainer.events[-1][0] == 5
    assert "lr" in trainer.events[-1][1] and "0.03" in trainer.events[-1][1]
    assert "batch_size" in trainer.events[-1][1] and "7" in trainer.events[-1][1]
    assert step_lr(trainer) == pytest.approx(0.03, rel=1e-3)
    assert trainer.last.outs[0].shape[0] == 7 and trainer.last.step == 5


def test_set_live_without_a_change_records_nothing(small_dataset):
    trainer = Trainer(Config(), small_dataset)
    assert trainer.set_live(lr=0.1) == []
    assert trainer.events == []


@pytest.mark.parametrize("field, value", [
    ("n_hidden", 50), ("n_embed", 4), ("block_size", 4), ("seed", 1), ("batchnorm", False), ("fix_w2", False),
])
def test_set_live_refuses_architecture_fields(small_dataset, field, value):
    trainer = Trainer(Config(), small_dataset)
    with pytest.raises(ConfigError, match="Reset"):
        trainer.set_live(**{field: value})
    assert trainer.cfg == Config()


def test_batch_size_larger_than_the_training_split(small_dataset):
    n = small_dataset.n_train
    with pytest.raises(ConfigError, match=f"{n:,}"):
        Trainer(Config(batch_size=n + 1), small_dataset)
    trainer = Trainer(Config(batch_size=n), small_dataset)
    with pytest.raises(ConfigError, match=f"training split.*{n:,}"):
        trainer.set_live(batch_size=n + 1)
    assert trainer.cfg.batch_size == n
    trainer.train_step()
    assert trainer.last.outs[0].shape[0] == n


def test_max_steps_below_the_current_step_is_refused(small_dataset):
    trainer = Trainer(Config(max_steps=100), small_dataset)
    trainer.train(10)
    with pytest.raises(ConfigError, match="below the current step") as e:
        trainer.set_live(max_steps=5)
    assert "10" in str(e.value)
    assert trainer.cfg.max_steps == 100
    trainer.set_live(max_steps=10)
    assert trainer.done and trainer.train(5) == []


def test_training_stops_at_max_steps(small_dataset):
    trainer = Trainer(Config(max_steps=40), small_dataset)
    losses = trainer.train(100)
    assert len(losses) == 40 and trainer.step == 40 and trainer.done
    assert np.array_equal(trainer.losses, np.array(losses, dtype=np.float32))


# -- settings that can never work --------------------------------------------------------------

@pytest.mark.parametrize("changes, message", [
    ({"lr": 0}, "learning rate must be greater than 0"),
    ({"lr": -0.1}, "learning rate must be greater than 0"),
    ({"lr": 1e6}, "far too large"),
    ({"lr": float("nan")}, "learning rate must be a number"),
    ({"lr_after": 0.0}, "learning rate after decay must be greater than 0"),
    ({"batch_size": 0}, "batch size must be at least 1"),
    ({"batch_size": 1}, "BatchNorm needs a batch of at least 2"),
    ({"block_size": 0}, "context length"),
    ({"n_hidden": 0}, "hidden layer size must be at least 1"),
    ({"n_embed": 0}, "embedding size must be at least 1"),
    ({"max_steps": 0}, "number of steps must be at least 1"),
    ({"n_hidden": 2.5}, "whole number"),
])
def test_validate_refuses(changes, message):
    with pytest.raises(ConfigError, match=message):
        Config(**changes).validate()


def test_set_live_refuses_a_bad_learning_rate(small_dataset):
    trainer = Trainer(Config(), small_dataset)
    for lr in (0, -1, 1e6):
        with pytest.raises(ConfigError, match="learning rate"):
            trainer.set_live(lr=lr)
    assert trainer.cfg.lr == 0.1 and trainer.events == []


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("changes", [
    {"n_embed": 10**9},                              # W1 alone would hold 6e11 numbers
    {"n_hidden": 1_000_000},                         # within the limits, but ~2.5 GiB with its batch
])
def test_huge_model_is_refused_before_allocating(small_words, monkeypatch, changes):
    cfg = Config(**changes)
    dataset = Dataset.from_words(small_words, cfg.block_size)
    monkeypatch.setattr(core.training.trainer, "available_memory", lambda: 4 << 30)  # a small laptop
    peak = peak_rss_mib()
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="n_embed|embedding size"):
        Trainer(cfg, dataset)
    assert time.perf_counter() - start < 1.0
    assert peak_rss_mib() - peak < 200


# -- divergence ------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["fast", "exact"])
def test_nan_loss_stops_and_restores_the_last_finite_weights(names_dataset, engine):
    """In float32 a large learning rate alone only makes the loss huge (tanh bounds the
    gradients, cross-entropy is computed stably), so this reaches a non-finite loss the way
    it really happens in this model: with a batch of 2, both examples sometimes have the same
    context; BatchNorm then divides 0 by a std of 0."""
    trainer = Trainer(Config(lr=1000, batch_size=2, engine=engine), names_dataset)
    states = {}
    for _ in range(2000):
        states[trainer.step] = (params_copy(trainer), buffers_copy(trainer))
        i = trainer.step
        if trainer.train_step() is None:
            break
    else:
        pytest.fail("the loss stayed finite for 2000 steps")
    assert i > 1
    assert trainer.divergence is not None
    assert f"step {i:,}" in trainer.divergence and "NaN" in trainer.divergence
    assert "diverged" in trainer.events[-1][1]
    # back to the weights of step i-1, the last one whose loss was finite
    assert trainer.step == i - 1
    params, buffers = states[i - 1]
    assert_same_tensors(params_copy(trainer), params)
    assert_same_tensors(buffers_copy(trainer), buffers)
    assert len(trainer.losses) == i - 1 and np.isfinite(trainer.losses).all()
    # the statistics shown are those of the last step kept, as in a run that stopped there
    assert trainer.snapshot().step == trainer.step - 1 == i - 2
    assert trainer.snapshot().loss == trainer.losses[-1]

    # lower the learning rate (and take a batch big enough for BatchNorm) and continue
    trainer.set_live(lr=0.1, batch_size=32)
    losses = trainer.train(200)
    assert len(losses) == 200 and all(math.isfinite(v) for v in losses)
    assert trainer.divergence is None and trainer.step == i - 1 + 200


# -- BatchNorm calibration ---------------------------------------------------------------------

def test_calibrate_batchnorm_sets_the_train_splits_mean_and_std(small_dataset):
    trainer = Trainer(Config(), small_dataset)
    trainer.train(50)
    running = buffers_copy(trainer)
    trainer.calibrate_batchnorm()
    m = trainer.model
    with torch.no_grad():
        x = small_dataset.splits["train"][0]
        emb = m.C[x]
        hpreact = emb.view(emb.shape[0], -1) @ m.W1 + m.b1
        mean, std = hpreact.mean(0, keepdim=True), hpreact.std(0, keepdim=True)
    assert torch.allclose(m.bnmean_running, mean, rtol=1e-4, atol=1e-5)
    assert torch.allclose(m.bnstd_running, std, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(running[0], mean, atol=1e-3)  # 50 steps of running mean were not there yet
    assert trainer.events[-1] == (50, "BatchNorm calibrated")
    # the calibrated statistics are what evaluation now uses
    val_x, val_y = small_dataset.splits["val"]
    with torch.no_grad():
        h = torch.tanh(m.bngain * (m.C[val_x].view(len(val_x), -1) @ m.W1 + m.b1 - mean) / std + m.bnbias)
        expected = torch.nn.functional.cross_entropy(h @ m.W2 + m.b2, val_y).item()
    assert trainer.split_loss("val") == pytest.approx(expected, rel=1e-5)


def test_calibrate_batchnorm_without_batchnorm(small_dataset):
    trainer = Trainer(Config(batchnorm=False), small_dataset)
    with pytest.raises(ConfigError, match="BatchNorm is off"):
        trainer.calibrate_batchnorm()


def test_split_loss_is_the_notebooks_split_loss(small_dataset):
    trainer = Trainer(Config(), small_dataset)
    trainer.train(100)
    m = trainer.model
    for split in ("train", "val", "test"):
        x, y = small_dataset.splits[split]
        with torch.no_grad():
            emb = m.C[x]
            embcat = emb.view(emb.shape[0], -1)
            hpreact = embcat @ m.W1 + m.b1
            hpreact = m.bngain * (hpreact - m.bnmean_running) / m.bnstd_running + m.bnbias
            h = torch.tanh(hpreact)
            logits = h @ m.W2 + m.b2
            expected = torch.nn.functional.cross_entropy(logits, y).item()
        assert trainer.split_loss(split) == expected
