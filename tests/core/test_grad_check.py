"""Part 4's gradient check: each engine's gradients against autograd's, row by row."""
import pytest
import torch

from core.config import Config
from core.data import Dataset
from core.diagnostics.grad_check import check, compare, engines
from core.training.trainer import Trainer


def test_compare_is_the_lectures_cmp():
    a = torch.tensor([1.0, 2.0, 3.0])
    assert compare("x", a, a.clone()).line == "x               | exact: True  | approximate: True  | maxdiff: 0.0"
    near = compare("x", a + 1e-7, a)
    assert (near.exact, near.approximate) == (False, True) and 0 < near.maxdiff < 1e-6
    far = compare("x", a + 1e-3, a)
    assert (far.exact, far.approximate) == (False, False)


@pytest.mark.parametrize("batchnorm", [True, False])
def test_the_hand_written_backward_is_exact_everywhere_on_the_seed_net(names_dataset, batchnorm):
    trainer = Trainer(Config(engine="exact", batchnorm=batchnorm), names_dataset)
    trainer.train(50)
    before = [p.detach().clone() for p in trainer.model.parameters() + trainer.model.buffers()]
    generator = trainer.generator.get_state()
    result = check(trainer, "exact")
    expected = {"h", "W2", "b2", "W1", "b1", "C"} | ({"bngain", "bnbias"} if batchnorm else set())
    assert {r.name for r in result.rows} == expected
    assert all(r.exact and r.approximate and r.maxdiff == 0.0 for r in result.rows), result.lines
    assert "hand-written" in result.note
    assert result.dlogits.shape == (trainer.cfg.batch_size, len(names_dataset.vocab))
    # the check changed nothing of the run
    after = trainer.model.parameters() + trainer.model.buffers()
    assert all(torch.equal(x, y) for x, y in zip(before, after, strict=True))
    assert torch.equal(generator, trainer.generator.get_state()) and trainer.step == 50


def test_a_deep_net_lists_every_layer_in_the_lectures_order(small_dataset):
    trainer = Trainer(Config(engine="exact", n_layers=2, n_hidden=16, batch_size=8), small_dataset)
    names = [r.name for r in check(trainer, "exact").rows]
    assert names == ["logits", "h2", "W3", "b3", "h", "hpreact2", "bngain2", "bnbias2", "hprebn2", "W2", "b2",
                     "hpreact", "bngain", "bnbias", "hprebn", "W1", "b1", "C"]
    assert engines(trainer)[0] == "exact"


@pytest.mark.parametrize("changes", [{}, {"batchnorm": False}, {"n_layers": 2, "n_hidden": 32},
                                     {"layer_style": "lecture", "n_layers": 2, "n_hidden": 32}],
                         ids=["seed", "no-bn", "deep", "lecture"])
def test_the_fast_kernels_gradients_are_autograds_to_float32_rounding(small_dataset, changes):
    trainer = Trainer(Config(engine="fast", batch_size=16, **changes), small_dataset)
    trainer.train(30)
    before = [p.detach().clone() for p in trainer.model.parameters() + trainer.model.buffers()]
    assert "fast" in engines(trainer)
    result = check(trainer, "fast")
    names = [r.name for r in result.rows]
    layers = trainer.cfg.n_layers
    hidden = {"h" if k == 1 else f"h{k}" for k in range(1, layers + 1)}
    at_linear = {("hprebn" if trainer.cfg.batchnorm else "hpreact") + ("" if k == 1 else str(k))
                 for k in range(1, layers + 1)}
    assert set(names) == set(trainer.model.param_names) | {"logits"} | hidden | at_linear
    # float32 in another summation order: ~1e-7 of the gradient's size (a wrong gradient is off by ~1),
    # or a gradient that is 0 up to rounding in both (b1 before a BatchNorm, which cancels it)
    assert all(r.relative < 1e-5 or (r.scale < 1e-6 and r.maxdiff < 1e-7) for r in result.rows), result.lines
    after = trainer.model.parameters() + trainer.model.buffers()
    assert all(torch.equal(x, y) for x, y in zip(before, after, strict=True))


def test_a_net_the_kernel_cannot_train_gets_no_fast_rows(small_dataset):
    from core.presets import preset_config
    cfg = preset_config("wavenet-bn-bug").replace(data="small", batch_size=8, n_hidden=16)
    trainer = Trainer(cfg, Dataset.from_words(small_dataset.words, cfg.block_size, source="small"))
    assert trainer.engine_name == "exact"
    assert engines(trainer) == ["exact"]
    assert all(r.exact for r in check(trainer, "exact").rows)
