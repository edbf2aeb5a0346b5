"""The axes sweeps are drawn on, and the importance the tab shows, from what a spec says."""
import math

import optuna
from optuna.distributions import CategoricalDistribution
from optuna.trial import create_trial

from core.sweeps.axes import metric_axis, param_axes
from core.sweeps.search import importance
from core.sweeps.spec import parse_spec


def test_axes_follow_the_spec(tmp_path):
    spec = parse_spec('name = "a"\nmethod = "random"\ntrials = 3\nsteps = 10\n[params]\n'
                      'lr = { low = 0.001, high = 1.0, log = true }\nn_hidden = [50, 100, 200]\n'
                      'batchnorm = [true, false]\nw1_gain = [1.0, 2.0]\n', folder=tmp_path)
    lr, width, bn, gain = param_axes(spec)
    assert lr.log and math.isclose(lr.position(0.001), 0) and math.isclose(lr.position(0.03162277660168379), 0.5)
    assert not width.log and width.ticks() == [(0.0, "50"), (1 / 3, "100"), (1.0, "200")]
    assert bn.categories == (True, False) and bn.position(False) == 1.0 and bn.position(None) is None
    assert not gain.log and gain.position(1.5) == 0.5
    val = metric_axis("val", [2.5, None, 2.0, float("nan")])
    assert (val.low, val.high) == (2.0, 2.5) and val.position(2.25) == 0.5


def test_importance_names_the_setting_that_decides_the_result():
    study = optuna.create_study()
    dists = {"lr": CategoricalDistribution([0.01, 0.1, 1.0]), "n_hidden": CategoricalDistribution([50, 100, 200])}
    for lr in (0.01, 0.1, 1.0):
        for n in (50, 100, 200):
            value = {0.01: 3.0, 0.1: 2.0, 1.0: 2.5}[lr] + n / 10_000      # lr matters, width barely
            study.add_trial(create_trial(params={"lr": lr, "n_hidden": n}, distributions=dists, value=value))
    shares = importance(study)
    assert set(shares) == {"lr", "n_hidden"} and shares["lr"] > 0.6 > shares["n_hidden"]
    assert math.isclose(sum(shares.values()), 1.0)
    assert importance(optuna.create_study()) == {}
