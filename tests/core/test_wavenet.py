"""makemore part 5's hierarchical net: bit for bit as the notebook's own loop (bench/wavenet_loop.py),
its printed output from the CLI, its settings refused in a sentence when they cannot work, and
its performance log as presets."""
import io
import re

import numpy as np
import pytest
import torch

from bench.wavenet_loop import notebook_layers, wavenet_run
from core.checkpoint import load_checkpoint, save_checkpoint
from core.cli import build_parser, config_from_args, layer_tables, run
from core.config import Config, ConfigError, load_config_file, save_config_file
from core.data import Dataset
from core.presets import PART5_LOG, WAVENET_LADDER, preset_config
from core.training.trainer import Trainer


@pytest.fixture(scope="module")
def names8(names_path):
    return Dataset.load(str(names_path), 8)


def cli_config(*args):
    return config_from_args(build_parser().parse_args(list(args)))


def assert_same_as_notebook(trainer, model, params):
    """Every parameter and running buffer equal (torch.equal: values and shapes)."""
    ours = trainer.model
    assert ours.n_parameters() == sum(p.nelement() for p in params)
    assert torch.equal(ours.C.detach(), model.layers[0].weight.detach())
    theirs_linear = [lay for lay in model.layers if type(lay).__name__ == "Linear"]
    assert len(ours.blocks) == len(theirs_linear)
    for block, lay in zip(ours.blocks, theirs_linear, strict=True):
        assert torch.equal(block.weight.detach(), lay.weight.detach())
        assert (block.bias is None) == (lay.bias is None)
        if block.bias is not None:
            assert torch.equal(block.bias.detach(), lay.bias.detach())
    theirs_bn = [lay for lay in model.layers if hasattr(lay, "running_var")]
    assert len(ours.batchnorms()) == len(theirs_bn)
    for bn, lay in zip(ours.batchnorms(), theirs_bn, strict=True):
        assert torch.equal(bn.gamma.detach(), lay.gamma.detach())
        assert torch.equal(bn.beta.detach(), lay.beta.detach())
        assert torch.equal(bn.running_mean, lay.running_mean)
        assert torch.equal(bn.running_spread, lay.running_var)


def test_preset_wavenet_trains_bitwise_as_the_notebooks_loop(names8):
    """1,000 steps of the 76K net: every loss, parameter and running buffer the notebook's."""
    cfg = cli_config("--preset", "wavenet", "--steps", "1000", "--engine", "exact").replace(data="builtin")
    Xtr, Ytr = names8.splits["train"]
    losses, model, params, _ = wavenet_run(Xtr, Ytr, len(names8.vocab), 1000)
    trainer = Trainer(cfg, names8)
    assert trainer.model.n_parameters() == 76_579 == sum(p.nelement() for p in params)
    assert trainer.train(1000) == losses
    assert_same_as_notebook(trainer, model, params)
    # the fast engine, within the seed net's gates: the progress lines as printed, train/val close
    fast = Trainer(cfg.replace(engine="fast"), names8)
    assert fast.engine_name == "fast"
    fast_losses = fast.train(1000)
    assert [f"{x:.4f}" for x in fast_losses[::100]] == [f"{x:.4f}" for x in losses[::100]]
    np.testing.assert_allclose(fast_losses, losses, atol=2e-5)
    for split in ("train", "val"):
        assert fast.split_loss(split) == pytest.approx(trainer.split_loss(split), abs=1e-5)
    # the Layers tab's and --layer-stats' numbers: every position of every example, as the
    # lecture's table over each Tanh layer's (32, positions, 128) output
    theirs = [f"layer {i} ({'Tanh':>10s}): mean {t.mean():+.2f}, std {t.std():.2f}, "
              f"saturated: {(t.abs() > 0.97).float().mean() * 100:.2f}%"
              for i, layer in enumerate(model.layers) if type(layer).__name__ == "Tanh" for t in [layer.out]]
    assert [t.out.shape[1] for t in model.layers if type(t).__name__ == "Tanh"][:2] == [4, 2]
    assert layer_tables(trainer.snapshot())[:3] == theirs


def test_batchnorm_bug_preset_trains_bitwise_as_the_notebooks_buggy_batchnorm(names8):
    """The lecture's bug (mean/var over dim 0 of a 3-D input): running buffers of shape
    (1, positions, 68), and 300 steps the notebook's with its BatchNorm1d so written."""
    cfg = preset_config("wavenet-bn-bug").replace(data="builtin", max_steps=300, engine="exact")
    Xtr, Ytr = names8.splits["train"]
    losses, model, params, _ = wavenet_run(Xtr, Ytr, len(names8.vocab), 300, n_embd=10, n_hidden=68,
                                           bn_bug=True)
    trainer = Trainer(cfg, names8)
    assert trainer.train(300) == losses
    assert [tuple(bn.running_mean.shape) for bn in trainer.model.batchnorms()] == [(1, 4, 68), (1, 2, 68), (1, 68)]
    assert_same_as_notebook(trainer, model, params)


def test_headless_run_prints_what_the_notebooks_code_prints(names8, names_path):
    """Progress, train, val and the names sampled from the training generator, continuing."""
    steps = 201
    splits = {k: names8.splits[k] for k in ("train", "val")}
    Xtr, Ytr = splits["train"]
    _, _, _, lines = wavenet_run(Xtr, Ytr, len(names8.vocab), steps, print_every=10_000, samples=5,
                                 itos=names8.vocab.itos, splits=splits)
    out = io.StringIO()
    args = build_parser().parse_args(["--headless", "--data", str(names_path), "--preset", "wavenet",
                                      "--steps", str(steps), "--engine", "exact", "--samples", "5"])
    assert run(args, out=out) == 0
    assert out.getvalue().splitlines() == lines
    assert lines[0] == "      0/    201: 3.3167"      # the notebook's first printed loss


def test_ladder_presets_build_the_logs_nets():
    """Each row of part 5's performance log is a preset whose net has the log's size."""
    vocab = 27
    for name in WAVENET_LADDER:
        cfg = preset_config(name).replace(data="builtin")
        from core.model.mlp import MLP
        model = MLP(cfg, vocab, torch.Generator().manual_seed(42))
        assert model.n_parameters() == PART5_LOG[name].parameters, name
    assert PART5_LOG["wavenet"].val == 1.9936515092849731


def test_flat_part5_net_is_the_notebooks_original_network(names8):
    """fuse 8 with one layer is the notebook's commented-out 'original network' (FlattenConsecutive(8))."""
    cfg = preset_config("wavenet-flat-8").replace(data="builtin", engine="exact", max_steps=50)
    Linear, BatchNorm1d, Tanh, Embedding, Flatten, Sequential = notebook_layers()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(42)
        model = Sequential([Embedding(27, 10), Flatten(8), Linear(80, 200, bias=False), BatchNorm1d(200), Tanh(),
                            Linear(200, 27)])
        with torch.no_grad():
            model.layers[-1].weight *= 0.1
    trainer = Trainer(cfg, names8)
    ours = trainer.model
    assert torch.equal(ours.C.detach(), model.layers[0].weight)
    assert torch.equal(ours.blocks[0].weight.detach(), model.layers[2].weight)
    assert torch.equal(ours.blocks[1].weight.detach(), model.layers[5].weight)
    assert torch.equal(ours.blocks[1].bias.detach(), model.layers[5].bias)
    assert ours.n_parameters() == sum(p.nelement() for p in model.parameters()) == 22_097


@pytest.mark.parametrize(("args", "words"), [
    (("--fuse", "2,2,2,2"), "Hidden layer 4 would fuse 2 positions but only 1 is left"),
    (("--fuse", "2,2"), "leave 2 positions of the context of 8"),
    (("--fuse", "3,2,2"), "Hidden layer 1 would fuse 3 positions but only 8 are left"),
    (("--fuse", "2,2,2", "--layers", "4"), "gives 3 blocks (2,2,2) but the net has 4 hidden layers"),
])
def test_fuses_that_do_not_divide_the_context_are_refused_in_a_sentence(args, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        cli_config("--preset", "wavenet", *args)


def test_fuse_options(capsys):
    """--fuse sets one hidden layer per width; widths out of LIMITS and fusing in another style are refused."""
    cfg = cli_config("--preset", "wavenet", "--fuse", "4,2", "--bn-dims", "0")
    assert (cfg.fuse, cfg.n_layers, cfg.bn_dims) == ("4,2", 2, "0")
    with pytest.raises(SystemExit):
        cli_config("--fuse", "2,0")
    assert "number of positions a block fuses must be at least 1" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="belongs to the wavenet layer style"):
        Config(fuse="2,2", n_layers=2, block_size=4).validate()


@pytest.mark.parametrize("name", ["wavenet-22k", "wavenet-bn-bug"])
def test_checkpoint_continues_bit_for_bit(names8, tmp_path, name):
    """Saved after 40 steps and loaded: the next 40 are those of a run that never stopped,
    running buffers of shape (1, 1, 68) or, with the bug, (1, positions, 68) included."""
    cfg = preset_config(name).replace(data="builtin", engine="exact", max_steps=80)
    whole = Trainer(cfg, names8)
    whole.train(80)
    first = Trainer(cfg, names8)
    first.train(40)
    save_checkpoint(first, tmp_path / "run.pt")
    resumed = load_checkpoint(tmp_path / "run.pt")
    assert resumed.train(40) == whole.losses[40:].tolist()
    for a, b in zip(resumed.model.all_parameters() + resumed.model.buffers(),
                    whole.model.all_parameters() + whole.model.buffers(), strict=True):
        assert torch.equal(a.detach(), b.detach())
    assert resumed.split_loss("val") == whole.split_loss("val")


@pytest.mark.parametrize("engine", ["exact", "fast"])
def test_divergence_rolls_back_to_a_run_that_stopped_a_step_earlier(names8, engine):
    """An infinite embedding row makes step 30's loss NaN: the weights, buffers and generator go
    back to step 29, and continuing is, batch for batch, a run that had stopped there."""
    cfg = preset_config("wavenet-22k").replace(data="builtin", engine=engine, max_steps=60)
    broken, clean = Trainer(cfg, names8), Trainer(cfg, names8)
    assert broken.engine_name == engine
    broken.train(30)
    clean.train(29)
    with torch.no_grad():
        broken.model.C[names8.vocab.stoi["e"]] = float("inf")
    assert broken.train(10) == [] and broken.diverged_at == 30 and broken.step == 29
    assert "NaN at step 30" in broken.divergence
    for a, b in zip(broken.model.all_parameters() + broken.model.buffers(),
                    clean.model.all_parameters() + clean.model.buffers(), strict=True):
        assert torch.equal(a.detach(), b.detach())
    assert broken.train(20) == clean.train(20)


def test_an_exact_checkpoint_continues_on_the_fast_engine(names8, tmp_path):
    """Checkpoints cross engines: the hierarchical net saved from the exact engine goes on in the
    fast one as the exact run goes on (to float32 rounding), and back."""
    cfg = preset_config("wavenet-22k").replace(data="builtin", engine="exact", max_steps=80)
    whole = Trainer(cfg, names8)
    whole.train(80)
    first = Trainer(cfg, names8)
    first.train(40)
    save_checkpoint(first, tmp_path / "exact.pt")
    fast = load_checkpoint(tmp_path / "exact.pt", engine="fast")
    assert fast.engine_name == "fast"
    np.testing.assert_allclose(fast.train(20), whole.losses[40:60], atol=1e-5)
    save_checkpoint(fast, tmp_path / "fast.pt")
    back = load_checkpoint(tmp_path / "fast.pt", engine="exact")
    np.testing.assert_allclose(back.train(20), whole.losses[60:80], atol=1e-5)
    assert back.split_loss("val") == pytest.approx(whole.split_loss("val"), abs=1e-5)


def test_the_bug_variant_trains_on_the_exact_engine_and_says_why():
    cfg = preset_config("wavenet-bn-bug").replace(data="builtin", max_steps=10)
    trainer = Trainer(cfg, Dataset.from_words(["emma", "olivia", "ava", "isabella", "sophia"] * 12, 8))
    assert trainer.engine_name == "exact" and "per position (bn_dims 0" in trainer.engine_note


def test_setup_files_keep_the_fuses_and_refuse_fuses_that_do_not_fit(tmp_path):
    cfg = preset_config("wavenet-bn-bug")
    save_config_file(cfg, tmp_path / "part5.toml")
    assert 'fuse = "2,2,2"' in (tmp_path / "part5.toml").read_text()
    assert load_config_file(tmp_path / "part5.toml") == cfg
    (tmp_path / "bad.toml").write_text('layer_style = "wavenet"\nblock_size = 8\nn_layers = 4\nfuse = "2,2,2,2"\n')
    with pytest.raises(ConfigError, match="Hidden layer 4 would fuse 2 positions but only 1 is left"):
        load_config_file(tmp_path / "bad.toml")
    (tmp_path / "dims.toml").write_text('bn_dims = "1"\n')
    with pytest.raises(ConfigError, match="Unknown BatchNorm statistics dims '1'"):
        load_config_file(tmp_path / "dims.toml")
