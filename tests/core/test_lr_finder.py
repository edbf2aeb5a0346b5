"""The learning-rate finder: the lecture's sweep from the current weights, fastai's suggestions,
and a run that goes on afterwards exactly as if the finder had never run."""
import numpy as np
import pytest
import torch

from core.config import Config
from core.diagnostics.lr_finder import curve_lines, find_lr, rates, suggest, valley
from core.training.trainer import Trainer

ENGINES = ("exact", "fast")


def state_of(trainer):
    """Everything a later step reads or a user sees: weights, running statistics, the
    generator, the step, the loss history, the schedule."""
    model = trainer.model
    return ([p.detach().clone() for p in model.parameters()], [b.clone() for b in model.buffers()],
            trainer.generator.get_state(), trainer.step, trainer.losses.copy(), trainer.cfg, list(trainer.events))


def assert_same(a, b):
    pa, ba, ga, sa, la, ca, ea = a
    pb, bb, gb, sb, lb, cb, eb = b
    assert all(torch.equal(x, y) for x, y in zip(pa + ba, pb + bb, strict=True))
    assert torch.equal(ga, gb)
    assert (sa, ca, ea) == (sb, cb, eb)
    assert np.array_equal(la, lb)


def test_rates_are_the_lectures():
    lrs = rates(1e-3, 1.0, 1000)
    assert len(lrs) == 1000 and lrs[0] == pytest.approx(1e-3) and lrs[-1] == pytest.approx(1.0)
    assert np.allclose(lrs, 10 ** torch.linspace(-3, 0, 1000).numpy(), rtol=1e-6)


def test_valley_is_the_middle_of_the_longest_fall():
    # the longest fall is 5.5 (index 1) down to 1 (index 12), 12 points: fastai starts it at
    # max_end - length = 0 and takes the point 1/3 + 1/6 of the way in
    losses = np.array([5, 5.5] + list(np.linspace(5, 1, 11)) + [2, 3, 4], dtype=float)
    lrs = np.arange(len(losses), dtype=float) + 1
    lr, idx = valley(lrs, losses)
    assert idx == 0 + 4 + 2
    assert lr == lrs[idx]


def test_suggestions_come_from_the_trimmed_smoothed_curve():
    lrs = list(rates(1e-3, 1.0, 100))
    curve = [3.0 - 0.01 * i for i in range(60)] + [2.4 + 0.05 * i for i in range(40)]
    by_name = {s.name: s for s in suggest(lrs, curve, 100)}
    assert set(by_name) == {"valley", "steepest", "minimum/10"}
    assert by_name["minimum/10"].lr == pytest.approx(lrs[60] / 10)      # the lowest point, 2.4
    assert lrs[10] <= by_name["valley"].lr <= lrs[60]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_seed_nets_suggestion_is_near_the_lectures_tenth(names_dataset, engine):
    trainer = Trainer(Config(engine=engine), names_dataset)
    curve = find_lr(trainer)
    assert len(curve.lrs) == 1000 and curve.stopped == ""    # the seed net's loss never quadruples by lr 1
    assert 0.02 < curve.suggestion.lr < 0.6
    assert curve_lines(curve)[-1] == f"suggested learning rate: {curve.suggestion.lr:.4g} (valley)"


@pytest.mark.parametrize("engine", ENGINES)
def test_the_run_goes_on_bit_for_bit_as_if_the_finder_had_not_run(names_dataset, engine):
    cfg = Config(engine=engine, max_steps=400, lr_decay_step=250)
    untouched, probed = Trainer(cfg, names_dataset), Trainer(cfg, names_dataset)
    untouched.train(200)
    probed.train(200)
    before = state_of(probed)
    curve = find_lr(probed, steps=150)
    assert len(curve.lrs) == 150
    assert_same(state_of(probed), before)
    untouched.train(200)        # through the decay step, to the end
    probed.train(200)
    assert_same(state_of(probed), state_of(untouched))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_sweep_into_huge_rates_stops_early_and_changes_nothing(small_dataset, engine):
    trainer = Trainer(Config(engine=engine, batch_size=8), small_dataset)
    trainer.train(20)
    before = state_of(trainer)
    curve = find_lr(trainer, 1e-2, 1000.0, 300)
    assert 0 < len(curve.lrs) < 300 and curve.stopped
    assert_same(state_of(trainer), before)
    seen = []
    find_lr(trainer, steps=50, on_step=lambda c: seen.append(len(c.lrs)), cancelled=lambda: len(seen) >= 7)
    assert seen == list(range(1, 8))
    assert_same(state_of(trainer), before)
