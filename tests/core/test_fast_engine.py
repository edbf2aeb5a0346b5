"""The fast engine behind the Trainer: the same run as the exact engine to float32 rounding,
chunks that change nothing, statistics of the last step, divergence, checkpoints across engines."""
import numpy as np
import pytest
import torch

from core.checkpoint import load_checkpoint, save_checkpoint
from core.config import Config, ConfigError
from core.data import Dataset
from core.training.fast_engine import unavailable_reason
from core.training.fast_kernel_binding import available
from core.training.trainer import Trainer

pytestmark = pytest.mark.skipif(not available(), reason="numba is not installed")


def state(trainer):
    m = trainer.model
    return [p.detach().clone() for p in m.all_parameters()] + [b.clone() for b in m.buffers()]


def assert_close_state(a, b, atol=1e-5):
    for x, y in zip(state(a), state(b), strict=True):
        torch.testing.assert_close(x, y, rtol=1e-4, atol=atol)


def test_fast_is_the_default_and_follows_the_exact_run(names_dataset):
    fast = Trainer(Config(lr_decay_step=300), names_dataset)
    exact = Trainer(Config(lr_decay_step=300, engine="exact"), names_dataset)
    assert (fast.engine_name, exact.engine_name) == ("fast", "exact")
    a, b = fast.train(600), exact.train(600)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert_close_state(fast, exact)
    # batches drawn a chunk at a time leave the generator exactly where per-step draws do
    assert torch.equal(fast.generator.get_state(), exact.generator.get_state())
    assert fast.step == exact.step == 600 and np.array_equal(fast.losses, np.array(a, np.float32))


def test_chunk_lengths_change_nothing(small_dataset):
    """One call of 500 steps, or steps one at a time and in odd chunks: bit for bit the same run."""
    one = Trainer(Config(lr_decay_step=200, max_steps=500), small_dataset)
    many = Trainer(Config(lr_decay_step=200, max_steps=500), small_dataset)
    one.train(500)
    for _ in range(7):
        many.train_step()
    while not many.done:
        many.train(37)
    assert np.array_equal(one.losses, many.losses)
    for x, y in zip(state(one), state(many), strict=True):
        assert torch.equal(x, y)
    assert one.last.step == many.last.step == 499


def test_the_last_step_statistics_match_the_exact_engine(names_dataset):
    fast = Trainer(Config(), names_dataset)
    exact = Trainer(Config(engine="exact"), names_dataset)
    fast.train(5), exact.train(5)
    a, b = fast.last, exact.last
    assert a.step == b.step == 4 and a.param_names == b.param_names
    assert a.loss == pytest.approx(b.loss, abs=1e-5)
    for field in ("raws", "pres", "outs", "out_grads"):          # the first hidden layer's
        x, y = getattr(a, field)[0], getattr(b, field)[0]
        torch.testing.assert_close(x, y.detach(), rtol=1e-4, atol=1e-5)
    for name, x, y in zip(a.param_names, a.grads, b.grads, strict=True):
        assert x.shape == y.shape, name
        torch.testing.assert_close(x, y, rtol=1e-3, atol=1e-6, msg=name)
    sa, sb = fast.snapshot(detail=True), exact.snapshot(detail=True)
    assert sa.step == sb.step and sa.dead_neurons == sb.dead_neurons
    assert sa.saturated_fraction == pytest.approx(sb.saturated_fraction, abs=1e-3)
    # (b1's gradient is rounding noise under BatchNorm, which removes any shift: ~1e-8 either way)
    np.testing.assert_allclose(sa.grad_data_ratio, sb.grad_data_ratio, rtol=1e-3, atol=1e-6)


def test_batch_size_and_lr_change_between_chunks(small_dataset):
    trainer = Trainer(Config(), small_dataset)
    trainer.train(20)
    trainer.set_live(batch_size=5, lr=0.02)
    before = trainer.model.W2.detach().clone()
    trainer.train_step()
    rec = trainer.last
    assert rec.outs[0].shape[0] == 5 and rec.lr == 0.02 and rec.step == 20
    i = rec.param_names.index("W2")
    np.testing.assert_allclose(before - trainer.model.W2.detach(), 0.02 * rec.grads[i], atol=1e-7)


def divergent(dataset, engine):
    """A batch of 2 with BatchNorm: two equal contexts give a std of 0 and a NaN loss."""
    return Trainer(Config(lr=1000, batch_size=2, engine=engine), dataset)


def test_divergence_inside_a_chunk_goes_back_as_step_by_step(names_dataset):
    stepwise, chunked = divergent(names_dataset, "fast"), divergent(names_dataset, "fast")
    while stepwise.train_step() is not None:
        pass
    losses = chunked.train(5000)
    d = chunked.diverged_at
    assert d is not None and d == stepwise.diverged_at and d > 3
    assert len(losses) == d and chunked.step == stepwise.step == d - 1
    assert chunked.divergence == stepwise.divergence
    for x, y in zip(state(chunked), state(stepwise), strict=True):
        assert torch.equal(x, y)
    assert chunked.snapshot().step == stepwise.snapshot().step == d - 2
    assert torch.equal(chunked.generator.get_state(), stepwise.generator.get_state())


def test_divergence_matches_the_exact_engine(names_dataset):
    fast, exact = divergent(names_dataset, "fast"), divergent(names_dataset, "exact")
    fast.train(5000), exact.train(5000)
    assert fast.diverged_at == exact.diverged_at and fast.step == exact.step
    assert fast.divergence == exact.divergence
    assert torch.equal(fast.generator.get_state(), exact.generator.get_state())
    fast.set_live(lr=0.1, batch_size=32)
    assert len(fast.train(100)) == 100 and fast.divergence is None


@pytest.mark.parametrize("first, second", [("fast", "exact"), ("exact", "fast")])
def test_a_checkpoint_resumes_in_the_other_engine(names_dataset, tmp_path, first, second):
    straight = Trainer(Config(engine=first), names_dataset)
    straight.train(200)
    save_checkpoint(straight, tmp_path / "run.pt")
    continued = straight.train(200)
    resumed = load_checkpoint(tmp_path / "run.pt", engine=second)
    assert resumed.engine_name == second and resumed.step == 200
    np.testing.assert_allclose(resumed.train(200), continued, rtol=1e-5, atol=1e-5)
    assert_close_state(resumed, straight)
    assert torch.equal(resumed.generator.get_state(), straight.generator.get_state())


def test_set_engine_switches_mid_run(small_dataset):
    trainer = Trainer(Config(engine="exact"), small_dataset)
    trainer.train(10)
    trainer.set_engine("fast")
    trainer.train(10)
    trainer.set_engine("exact")
    trainer.train(10)
    reference = Trainer(Config(engine="exact"), small_dataset)
    reference.train(30)
    assert trainer.step == 30 and trainer.cfg.engine == "exact"
    assert_close_state(trainer, reference)
    with pytest.raises(ConfigError, match="engine"):
        trainer.set_engine("turbo")


def test_evaluation_and_calibration_read_the_trained_weights(small_dataset):
    fast = Trainer(Config(), small_dataset)
    exact = Trainer(Config(engine="exact"), small_dataset)
    fast.train(100), exact.train(100)
    assert fast.split_loss("val") == pytest.approx(exact.split_loss("val"), abs=1e-5)
    fast.calibrate_batchnorm(), exact.calibrate_batchnorm()
    fast.train(50), exact.train(50)
    assert_close_state(fast, exact)


def test_engine_setting():
    with pytest.raises(ConfigError, match="engine"):
        Config(engine="turbo").validate()
    assert unavailable_reason("cuda") == "the fast engine runs on the CPU only"
    assert unavailable_reason("cpu") is None


def test_preparing_is_visible(small_dataset):
    trainer = Trainer(Config(), small_dataset)
    trainer.prepare_engine()
    assert trainer.engine_ready
    assert Trainer(Config(engine="exact"), small_dataset).engine_ready


@pytest.mark.parametrize("changes", [
    {"n_embed": 1, "block_size": 1, "n_hidden": 1},   # every matrix a single row or column
    {"batchnorm": False, "n_hidden": 70, "block_size": 5},
    {"n_hidden": 30, "batch_size": 3},
])
def test_odd_shapes_follow_the_exact_engine(small_dataset, changes):
    small = Dataset.from_words(small_dataset.words, changes.get("block_size", 3), source="small")
    fast, exact = Trainer(Config(**changes), small), Trainer(Config(**changes, engine="exact"), small)
    np.testing.assert_allclose(fast.train(60), exact.train(60), rtol=1e-4, atol=1e-5)
    assert_close_state(fast, exact, atol=1e-4)


def test_the_exact_engines_autograd_path_equals_its_hand_written_backward(small_dataset, monkeypatch):
    """The hand-written backward serves the seed MLP on the CPU; autograd (CUDA, other models)
    must give the same bits."""
    import core.training.exact_engine
    manual = Trainer(Config(engine="exact", lr_decay_step=30), small_dataset)
    manual.train(60)
    monkeypatch.setattr(core.training.exact_engine, "has_manual_step", lambda model, device: False)
    autograd = Trainer(Config(engine="exact", lr_decay_step=30), small_dataset)
    autograd.train(60)
    assert np.array_equal(manual.losses, autograd.losses)
    for x, y in zip(state(manual), state(autograd), strict=True):
        assert torch.equal(x, y)
    for x, y in zip(manual.last.grads, autograd.last.grads, strict=True):
        assert torch.equal(x, y)


# -- every depth and both layer styles ----------------------------------------------------------

@pytest.mark.parametrize("preset, changes", [
    ("lecture-deep", {}),                                    # the lecture's BatchNorm1d, on the output too
    ("no-bn-gain-5-3", {}),                                  # biases, no BatchNorm, output weight x 0.1
    ("linear-gain-1", {}),                                   # no activation at all
    ("seed", {"n_layers": 3, "n_hidden": 64}),               # the seed's BatchNorm at depth
])
def test_deep_nets_follow_the_exact_engine(names_dataset, preset, changes):
    """300 steps of each layer style on the fast engine: losses, every weight and running
    buffer, and every layer's statistics within float32 rounding of the exact engine's."""
    from core.presets import preset_config
    cfg = preset_config(preset).replace(**changes, max_steps=300)
    fast, exact = Trainer(cfg, names_dataset), Trainer(cfg.replace(engine="exact"), names_dataset)
    assert fast.engine_name == "fast" and len(fast.model.blocks) == cfg.n_layers + 1
    np.testing.assert_allclose(fast.train(300), exact.train(300), rtol=1e-5, atol=2e-5)
    assert_close_state(fast, exact)
    a, b = fast.snapshot(), exact.snapshot()
    assert [s.index for s in a.layers] == [s.index for s in b.layers]
    assert [s.kind for s in a.layers] == [s.kind for s in b.layers]
    for x, y in zip(a.layers, b.layers, strict=True):
        assert x.std == pytest.approx(y.std, rel=1e-4)
        assert x.saturated_pct == pytest.approx(y.saturated_pct, abs=0.05)
        assert x.grad_std == pytest.approx(y.grad_std, rel=1e-3)
    assert [w.name for w in a.weights] == [w.name for w in b.weights]
    for x, y in zip(a.weights, b.weights, strict=True):
        assert x.grad_data_ratio == pytest.approx(y.grad_data_ratio, rel=1e-3), x.name
        assert x.update_log10 == pytest.approx(y.update_log10, abs=1e-3), x.name
    for layer in range(cfg.n_layers):          # the Live plots' layer selector
        sa, sb = fast.snapshot(layer=layer), exact.snapshot(layer=layer)
        assert sa.saturated_fraction == pytest.approx(sb.saturated_fraction, abs=1e-3)
        assert sa.dead_neurons == sb.dead_neurons


def test_the_record_of_a_step_is_not_changed_by_the_next_chunk(names_dataset):
    """A snapshot may be taken from `last` while the kernel runs the next chunk."""
    from core.presets import preset_config
    trainer = Trainer(preset_config("lecture-deep").replace(max_steps=300), names_dataset)
    trainer.train(100)
    rec = trainer.last
    kept = [t.clone() for t in (*rec.outs, *rec.out_grads, *rec.grads, *rec.new_params, *rec.params)]
    trainer.train(100)
    assert trainer.last is not rec
    for a, b in zip((*rec.outs, *rec.out_grads, *rec.grads, *rec.new_params, *rec.params), kept, strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("changes, manual", [
    ({}, True), ({"batchnorm": False}, True),                 # the seed notebook's MLP, with or without BN
    ({"n_layers": 2}, False), ({"activation": "none"}, False),
    ({"layer_style": "lecture"}, False), ({"layer_style": "lecture", "batchnorm": False}, False),
])
def test_the_hand_written_backward_serves_only_the_seed_mlp(small_dataset, changes, manual):
    from core.training.exact_engine import has_manual_step
    trainer = Trainer(Config(engine="exact", **changes), small_dataset)
    assert has_manual_step(trainer.model, trainer.device) is manual
    assert has_manual_step(trainer.model, torch.device("cuda")) is False


def test_wide_layers_default_to_the_exact_engine_and_say_why(small_dataset):
    """Where torch's BLAS beats the kernel's loops (3 hidden x 2,000 on batches of 128:
    bench/bench_engines.py) the fast setting runs the exact engine, with the reason; on the
    default batch of 32 the kernel is the faster at that width and runs."""
    wide = Trainer(Config(n_layers=3, n_hidden=2000, n_embed=2, batch_size=128), small_dataset)
    assert wide.engine_name == "exact" and "wide" in wide.engine_note
    small_batches = Trainer(Config(n_layers=3, n_hidden=2000, n_embed=2), small_dataset)
    assert small_batches.engine_name == "fast" and small_batches.engine_note is None
