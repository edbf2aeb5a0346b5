"""The lecture's deep net: bit for bit as its own loop, its printed output from the CLI, and
every depth through training, statistics, checkpoints and setup files."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from bench.lecture_loop import lecture_run
from core.checkpoint import load_checkpoint, save_checkpoint
from core.cli import build_parser, config_from_args
from core.config import Config, ConfigError, load_config_file, save_config_file
from core.presets import CATALOGUE, LECTURE_EXPERIMENTS, PRESETS, preset_config
from core.training.trainer import Trainer

MAIN = Path(__file__).resolve().parents[2] / "main.py"

# Copied from the reference file's output (cells 15, 16, 17, 19 and 20).
LECTURE_TANH = """\
layer 2 (      Tanh): mean -0.00, std 0.63, saturated: 2.78%
layer 5 (      Tanh): mean +0.00, std 0.64, saturated: 2.56%
layer 8 (      Tanh): mean -0.00, std 0.65, saturated: 2.25%
layer 11 (      Tanh): mean +0.00, std 0.65, saturated: 1.69%
layer 14 (      Tanh): mean +0.00, std 0.65, saturated: 1.88%""".splitlines()
LECTURE_GRADS = """\
layer 2 (      Tanh): mean -0.000000, std 2.640702e-03
layer 5 (      Tanh): mean +0.000000, std 2.245584e-03
layer 8 (      Tanh): mean -0.000000, std 2.045742e-03
layer 11 (      Tanh): mean +0.000000, std 1.983134e-03
layer 14 (      Tanh): mean -0.000000, std 1.952382e-03""".splitlines()
LECTURE_WEIGHTS = """\
weight   (27, 10) | mean +0.000000 | std 8.020534e-03 | grad:data ratio 8.012630e-03
weight  (30, 100) | mean +0.000246 | std 9.241077e-03 | grad:data ratio 4.881091e-02
weight (100, 100) | mean +0.000113 | std 7.132879e-03 | grad:data ratio 6.964619e-02
weight (100, 100) | mean -0.000086 | std 6.234305e-03 | grad:data ratio 6.073741e-02
weight (100, 100) | mean +0.000052 | std 5.742187e-03 | grad:data ratio 5.631483e-02
weight (100, 100) | mean +0.000032 | std 5.672205e-03 | grad:data ratio 5.570125e-02
weight  (100, 27) | mean -0.000082 | std 1.209416e-02 | grad:data ratio 1.160106e-01""".splitlines()
LECTURE_TRAIN, LECTURE_VAL = "train 2.4002976417541504", "val 2.3982467651367188"
LECTURE_NAMES = """\
carpah. qarlileif. jmrix. thty. sacansa. jazhnte. dpn. arciigqeiunellaia. chriiv. kalein.
dhlm. join. qhinn. sroin. arian. quiqaelogiearyxix. kaeklinsan. ed. ecoia. gtleley.""".split()
NUMBER = re.compile(r"[-+]?\d+\.\d+(?:e[-+]\d+)?")


def cli_config(*args):
    return config_from_args(build_parser().parse_args(list(args)))


@pytest.mark.parametrize("args", [(), ("--no-batchnorm", "--gain", "5/3")], ids=["lecture-deep", "no-bn-gain-5-3"])
def test_preset_lecture_deep_trains_bitwise_as_the_lectures_loop(names_dataset, args):
    """1,000 steps: every loss, parameter and running buffer equal to the lecture's own loop."""
    cfg = cli_config("--preset", "lecture-deep", "--steps", "1000", "--engine", "exact", *args).replace(data="builtin")
    Xtr, Ytr = names_dataset.splits["train"]
    losses, layers, params, C, _ = lecture_run(Xtr, Ytr, len(names_dataset.vocab), 1000,
                                               batchnorm=cfg.batchnorm, gain=cfg.w1_gain)
    trainer = Trainer(cfg, names_dataset)
    assert trainer.train(1000) == losses
    model = trainer.model
    assert model.n_parameters() == sum(p.nelement() for p in params)
    theirs_linear = [lay for lay in layers if hasattr(lay, "weight")]
    theirs_bn = [lay for lay in layers if hasattr(lay, "running_var")]
    assert len(model.blocks) == len(theirs_linear) == 6
    assert torch.equal(model.C.detach(), C.detach())
    for ours, theirs in zip(model.blocks, theirs_linear, strict=True):
        assert torch.equal(ours.weight.detach(), theirs.weight.detach())
        assert (ours.bias is None) == (theirs.bias is None)
        if ours.bias is not None:
            assert torch.equal(ours.bias.detach(), theirs.bias.detach())
    assert len(model.batchnorms()) == len(theirs_bn) == (6 if cfg.batchnorm else 0)
    for ours, theirs in zip(model.batchnorms(), theirs_bn, strict=True):
        assert torch.equal(ours.gamma.detach(), theirs.gamma.detach())
        assert torch.equal(ours.beta.detach(), theirs.beta.detach())
        assert torch.equal(ours.running_mean, theirs.running_mean)
        assert torch.equal(ours.running_spread, theirs.running_var)


def test_linear_only_experiment_trains_bitwise_as_the_lecture_without_tanh(names_dataset):
    cfg = preset_config("linear-gain-1").replace(max_steps=300, engine="exact")
    Xtr, Ytr = names_dataset.splits["train"]
    losses, layers, params, C, _ = lecture_run(Xtr, Ytr, len(names_dataset.vocab), 300, batchnorm=False,
                                               gain=1.0, tanh=False)
    trainer = Trainer(cfg, names_dataset)
    assert trainer.train(300) == losses
    for ours, theirs in zip(trainer.model.parameters(), params, strict=True):
        assert torch.equal(ours.detach(), theirs.detach())


def headless_deep(names_path, *extra):
    result = subprocess.run([sys.executable, str(MAIN), "--headless", "--data", str(names_path),
                             "--preset", "lecture-deep", "--steps", "1001", "--layer-stats", *extra],
                            capture_output=True, text=True, timeout=600, cwd=MAIN.parent)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def assert_tables_close(lines, expected, rel, abs):
    for got, want in zip(lines, expected, strict=True):
        assert NUMBER.sub("#", got) == NUMBER.sub("#", want)
        for a, b in zip(NUMBER.findall(got), NUMBER.findall(want), strict=True):
            assert float(a) == pytest.approx(float(b), rel=rel, abs=abs), (got, want)


def test_headless_lecture_deep_prints_the_lectures_output(names_path):
    lines = headless_deep(names_path, "--engine", "exact")
    assert lines[0] == "      0/   1001: 3.2870"     # the lecture's step 0 loss
    assert lines[1:6] == LECTURE_TANH
    # the gradient tables agree with the lecture's to 6 significant digits (summation order)
    assert_tables_close(lines[6:18], LECTURE_GRADS + LECTURE_WEIGHTS, rel=2e-6, abs=5e-7)
    assert lines[18:20] == [LECTURE_TRAIN, LECTURE_VAL]
    assert lines[20:] == LECTURE_NAMES


def test_headless_lecture_deep_with_the_fast_engine_prints_the_lectures_numbers(names_path):
    """The default engine on every layer of the lecture's net, its statistics from the kernel's
    last step: the lecture's tables to float32 rounding, its losses within 1e-5, its 20 names."""
    lines = headless_deep(names_path)
    assert lines[0] == "      0/   1001: 3.2870"
    assert_tables_close(lines[1:6], LECTURE_TANH, rel=0, abs=0.0051)      # printed to 2 decimals
    assert_tables_close(lines[6:18], LECTURE_GRADS + LECTURE_WEIGHTS, rel=1e-4, abs=1e-6)
    for got, want in zip(lines[18:20], (LECTURE_TRAIN, LECTURE_VAL), strict=True):
        assert got.split()[0] == want.split()[0]
        assert float(got.split()[1]) == pytest.approx(float(want.split()[1]), abs=1e-5)
    assert lines[20:] == LECTURE_NAMES


def test_layer_stats_match_the_lectures_way_of_computing_them(names_dataset):
    trainer = Trainer(preset_config("lecture-deep").replace(max_steps=20), names_dataset)
    trainer.train(20)
    snap = trainer.snapshot()
    rec = trainer.last
    assert [s.index for s in snap.layers] == [2, 5, 8, 11, 14] and {s.kind for s in snap.layers} == {"Tanh"}
    for s, t, g in zip(snap.layers, rec.outs, rec.out_grads, strict=True):
        assert s.std == t.std().item() and s.grad_std == g.std().item()
        assert s.saturated_pct == ((t.abs() > 0.97).float().mean() * 100).item()
        widths = s.edges[1:] - s.edges[:-1]
        assert (s.hist * widths).sum() == pytest.approx(1.0, rel=1e-4)   # a density
        assert len(s.hist) == 100 and len(s.edges) == 101
    assert [w.name for w in snap.weights] == ["C", "W1", "W2", "W3", "W4", "W5", "W6"]
    assert [w.shape for w in snap.weights][:2] == [(27, 10), (30, 100)]
    for w in snap.weights:
        p = trainer.model.parameters()[w.index]   # after the update, as the lecture's p
        g = rec.grads[w.index]
        assert w.grad_data_ratio == (g.std() / p.std()).item()
        assert w.update_log10 == pytest.approx(((0.1 * g).std() / p.std()).log10().item(), abs=1e-6)
    # the single-layer fields follow the chosen layer
    third = trainer.snapshot(layer=2)
    assert third.layer == 2 and third.saturated_fraction == pytest.approx(snap.layers[2].saturated_pct / 100)
    with pytest.raises(ConfigError, match="no hidden layer 6"):
        trainer.snapshot(layer=5)


def test_one_seed_layer_is_the_seed_network_with_the_seed_names(small_dataset):
    model = Trainer(Config(), small_dataset).model
    assert model.param_names == ("C", "W1", "b1", "W2", "b2", "bngain", "bnbias")
    assert len(model.blocks) == 2 and model.blocks[0].bn.kind == "seed" and model.blocks[1].bn is None
    assert set(model.state()) == {"C", "W1", "b1", "W2", "b2", "bngain", "bnbias", "bnmean_running",
                                  "bnstd_running"}


@pytest.mark.parametrize("style", ["seed", "lecture"])
@pytest.mark.parametrize("n_layers", [1, 2, 8])
def test_every_depth_trains_saves_loads_and_resumes_exactly(small_dataset, tmp_path, style, n_layers):
    cfg = Config(layer_style=style, n_layers=n_layers, n_hidden=16, max_steps=40, bn_momentum=0.1)
    straight = Trainer(cfg, small_dataset)
    straight.train(40)
    first = Trainer(cfg, small_dataset)
    first.train(25)
    save_checkpoint(first, tmp_path / "c.pt")
    again = load_checkpoint(tmp_path / "c.pt")
    assert again.cfg == cfg and len(again.model.blocks) == n_layers + 1
    again.train(15)
    for a, b in zip(again.model.parameters() + again.model.buffers(),
                    straight.model.parameters() + straight.model.buffers(), strict=True):
        assert torch.equal(a.detach(), b.detach())
    assert again.split_loss("val") == straight.split_loss("val")
    snap = again.snapshot()
    assert len(snap.layers) == n_layers and len(snap.weights) == n_layers + 2


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_every_preset_saves_and_loads_back_unchanged(tmp_path, name):
    cfg = preset_config(name)
    for suffix in (".toml", ".json"):
        save_config_file(cfg, tmp_path / f"setup{suffix}")
        assert load_config_file(tmp_path / f"setup{suffix}") == cfg


def test_a_setup_file_takes_a_gain_as_a_fraction_and_old_files_load(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('w1_gain = "5/3"\nn_layers = 3\n')
    cfg = load_config_file(path)
    assert cfg.w1_gain == 5 / 3 and cfg.n_layers == 3
    path.write_text("n_hidden = 50\nbatchnorm = false\n")   # written before depth existed
    old = load_config_file(path)
    assert (old.n_layers, old.activation, old.layer_style) == (1, "tanh", "seed")


def test_a_checkpoint_from_before_depth_still_loads(small_dataset, tmp_path):
    trainer = Trainer(Config(n_hidden=20), small_dataset)
    trainer.train(5)
    save_checkpoint(trainer, tmp_path / "old.pt")
    payload = torch.load(tmp_path / "old.pt", weights_only=True)
    for k in ("n_layers", "activation", "layer_style"):
        del payload["trainer"]["config"][k]
    torch.save(payload, tmp_path / "old.pt")
    loaded = load_checkpoint(tmp_path / "old.pt")
    assert loaded.cfg == trainer.cfg
    assert torch.equal(loaded.model.W1, trainer.model.W1.detach())


@pytest.mark.parametrize("args, message", [
    (["--layers", "9"], "at most 8"),
    (["--layers", "0"], "--layers"),
    (["--gain", "0"], "--gain"),
    (["--gain", "5/0"], "--gain"),
    (["--gain", "abc"], "fraction like 5/3"),
    (["--activation", "relu"], "--activation"),
    (["--layers", "8", "--n-hidden", "3000"], "parameters in its hidden layers"),
    (["--preset", "nope"], "--preset"),
])
def test_depth_width_and_gain_that_can_never_work_are_refused(args, message):
    result = subprocess.run([sys.executable, str(MAIN), "--headless", *args], capture_output=True, text=True,
                            timeout=120, cwd=MAIN.parent)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr


def test_a_deep_model_too_big_for_memory_is_refused_before_allocating(small_dataset, monkeypatch):
    monkeypatch.setattr("core.training.trainer.available_memory", lambda: 64 << 20)
    cfg = Config(n_layers=8, n_hidden=1500)
    monkeypatch.setattr("core.model.mlp.MLP.__init__", lambda *a: pytest.fail("allocated"))
    with pytest.raises(ConfigError, match="GiB of memory"):
        Trainer(cfg, small_dataset)


def test_explicit_options_override_the_preset():
    cfg = cli_config("--preset", "lecture-deep", "--layers", "3", "--gain", "5/3", "--activation", "none")
    assert (cfg.n_layers, cfg.w1_gain, cfg.activation, cfg.n_hidden, cfg.lr_decay_step) == (3, 5 / 3, "none",
                                                                                           100, 150_000)
    assert cli_config("--preset", "seed") == Config()


def test_loss_log_stages_are_the_catalogues():
    for title, switches in PRESETS.items():
        cfg = preset_config(title)
        assert cfg == preset_config(title.lower().replace(" ", "-"))
        assert all(getattr(cfg, k) == v for k, v in switches.items())
        assert (cfg.n_layers, cfg.layer_style, cfg.max_steps) == (1, "seed", 200_000)


@pytest.mark.parametrize("name, bn, activation, gain", [
    ("lecture-deep", True, "tanh", 1.0), ("no-bn-gain-5-3", False, "tanh", 5 / 3),
    ("no-bn-gain-1", False, "tanh", 1.0), ("no-bn-gain-3", False, "tanh", 3.0),
    ("linear-gain-1", False, "none", 1.0), ("linear-gain-5-3", False, "none", 5 / 3)])
def test_each_experiment_builds_the_network_it_names(small_dataset, name, bn, activation, gain):
    assert name in LECTURE_EXPERIMENTS
    model = Trainer(preset_config(name), small_dataset).model
    assert len(model.blocks) == 6 and [b.fan_out for b in model.hidden] == [100] * 5
    assert all((b.bn is not None) == bn for b in model.blocks)
    assert all(b.activation == activation for b in model.hidden)
    assert all((b.bias is None) == bn for b in model.blocks)
    g = torch.Generator().manual_seed(2147483647)
    torch.randn((len(small_dataset.vocab), 10), generator=g)
    raw = torch.randn((30, 100), generator=g) / 30**0.5
    assert torch.equal(model.blocks[0].weight.detach(), raw * gain)


def std_per_layer(dataset, name):
    trainer = Trainer(preset_config(name), dataset)
    trainer.train_step()
    return [s.std for s in trainer.snapshot().layers], [s.saturated_pct for s in trainer.snapshot().layers]


def test_the_experiments_show_the_lectures_pictures(names_dataset):
    """At init: gain 1 without BN shrinks the activations layer after layer, gain 3 saturates
    them, 5/3 keeps them steady; a linear stack keeps its spread at gain 1 and grows at 5/3."""
    shrink, _ = std_per_layer(names_dataset, "no-bn-gain-1")
    assert all(a > b for a, b in zip(shrink, shrink[1:], strict=False)) and shrink[-1] < 0.6 * shrink[0]
    _, saturated = std_per_layer(names_dataset, "no-bn-gain-3")
    assert min(saturated) > 40
    steady, sat = std_per_layer(names_dataset, "no-bn-gain-5-3")
    assert max(steady) - min(steady) < 0.15 and max(sat[1:]) < 10
    flat, _ = std_per_layer(names_dataset, "linear-gain-1")
    assert max(flat) / min(flat) < 1.3
    grow, _ = std_per_layer(names_dataset, "linear-gain-5-3")
    assert all(b > 1.4 * a for a, b in zip(grow, grow[1:], strict=False))
    bn, sat = std_per_layer(names_dataset, "lecture-deep")
    assert all(0.55 < s < 0.75 for s in bn)


def test_calibration_and_divergence_at_depth(small_dataset):
    from core.diagnostics.calibration import calibrate
    trainer = Trainer(Config(layer_style="lecture", n_layers=3, n_hidden=20, bn_momentum=0.1), small_dataset)
    trainer.train(30)
    result = calibrate(trainer)
    x = small_dataset.splits["train"][0]
    h = trainer.model.C[x].view(x.shape[0], -1)
    first = trainer.model.blocks[0]   # the lecture's BatchNorm keeps a running variance
    assert torch.equal(first.bn.running_spread, (h @ first.weight).var(0, keepdim=True))
    assert result.mean_change > 0 and result.std_change > 0
    cfg = Config(n_layers=4, n_hidden=20, lr=1000, batch_size=2)
    wild = Trainer(cfg, small_dataset)
    wild.train(500)
    assert wild.divergence is not None and wild.step < 500
    fresh = Trainer(cfg, small_dataset)
    fresh.train(wild.step)
    for a, b in zip(wild.model.parameters() + wild.model.buffers(),
                    fresh.model.parameters() + fresh.model.buffers(), strict=True):
        assert torch.equal(a.detach(), b.detach())


def test_a_deep_run_is_not_named_after_a_loss_log_stage():
    from core.runs.run_history import stage_of
    assert stage_of(preset_config("add-bn")) == "add BN"
    assert stage_of(preset_config("add-bn").replace(n_layers=3)) is None
    assert stage_of(preset_config("lecture-deep")) is None


def test_a_run_of_a_lecture_experiment_is_named_after_it():
    from core.presets import CATALOGUE, LECTURE_EXPERIMENTS, experiment_of
    for name in LECTURE_EXPERIMENTS:       # whatever its seed, data or schedule
        cfg = preset_config(name).replace(seed=1, data="x.txt", max_steps=10, lr=0.05)
        assert experiment_of(cfg) == CATALOGUE[name].label
    assert experiment_of(preset_config("no-bn-gain-3").replace(w1_gain=2.0)) is None
    assert experiment_of(preset_config("lecture-deep").replace(n_layers=4)) is None
    assert experiment_of(preset_config("seed")) is None
