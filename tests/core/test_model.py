"""The MLP: every init switch reproduces one notebook line; switches never shift other draws."""
import math

import pytest
import torch

from core.config import Config
from core.model.mlp import MLP
from core.training.trainer import Trainer

SEED = 2147483647
VOCAB = 27


def notebook_draws(seed=SEED, vocab_size=VOCAB, n_embed=10, n_hidden=200, block_size=3):
    """The notebook's cell 6 draws, before any scaling, in its order."""
    g = torch.Generator().manual_seed(seed)
    C = torch.randn((vocab_size, n_embed), generator=g)
    W1 = torch.randn((n_embed * block_size, n_hidden), generator=g)
    b1 = torch.randn(n_hidden, generator=g)
    W2 = torch.randn((n_hidden, vocab_size), generator=g)
    b2 = torch.randn(vocab_size, generator=g)
    return {"C": C, "W1": W1, "b1": b1, "W2": W2, "b2": b2}


def notebook_init(seed=SEED):
    """The notebook's cell 6 lines with every fix on, verbatim."""
    n_embed, n_hidden, block_size, vocab_size = 10, 200, 3, VOCAB
    g = torch.Generator().manual_seed(seed)
    C = torch.randn((vocab_size, n_embed), generator=g)
    W1 = torch.randn((n_embed * block_size, n_hidden), generator=g) * (5/3)/((n_embed * block_size) ** 0.5)
    b1 = torch.randn(n_hidden, generator=g) * 0.01
    W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.01  # W2 scaled down significantly
    b2 = torch.randn(vocab_size, generator=g) * 0  # b2 reduced to 0
    return {"C": C, "W1": W1, "b1": b1, "W2": W2, "b2": b2}


def model_tensors(cfg):
    m = MLP(cfg, VOCAB, torch.Generator().manual_seed(cfg.seed))
    return m, {n: getattr(m, n).detach() for n in ("C", "W1", "b1", "W2", "b2")}


def assert_tensors_equal(got, expected):
    for name, t in expected.items():
        assert torch.equal(got[name], t), name


def test_all_fixes_on_is_the_notebooks_init():
    m, got = model_tensors(Config())
    assert_tensors_equal(got, notebook_init())
    assert torch.equal(m.bngain.detach(), torch.ones(1, 200))
    assert torch.equal(m.bnbias.detach(), torch.zeros(1, 200))
    assert torch.equal(m.bnmean_running, torch.zeros(1, 200))
    assert torch.equal(m.bnstd_running, torch.ones(1, 200))


def test_parameter_count_is_the_notebooks():
    m, _ = model_tensors(Config())
    assert m.n_parameters() == 12297  # the notebook's n_parameters
    m, _ = model_tensors(Config(batchnorm=False))
    assert m.n_parameters() == 12297 - 2 * 200  # no bngain, bnbias


@pytest.mark.parametrize("switch, tensor", [
    ("fix_w1", "W1"), ("fix_b1", "b1"), ("fix_w2", "W2"), ("fix_b2", "b2"),
])
def test_switch_off_leaves_its_tensor_raw_and_shifts_no_other_draw(switch, tensor):
    raw = notebook_draws()
    expected = notebook_init()
    expected[tensor] = raw[tensor]
    _, got = model_tensors(Config(**{switch: False}))
    assert_tensors_equal(got, expected)
    assert not torch.equal(got[tensor], notebook_init()[tensor])


@pytest.mark.parametrize("switch, tensor, factor", [
    ("fix_b1", "b1", 0.01), ("fix_w2", "W2", 0.01), ("fix_b2", "b2", 0),
])
def test_switch_on_is_the_notebook_line(switch, tensor, factor):
    """Only this switch on: its tensor is raw * factor, the others raw."""
    off = {s: False for s in ("fix_w1", "fix_b1", "fix_w2", "fix_b2")}
    _, got = model_tensors(Config(**{**off, switch: True}))
    expected = notebook_draws()
    expected[tensor] = expected[tensor] * factor
    assert_tensors_equal(got, expected)


def test_all_fixes_off_is_every_tensor_raw():
    _, got = model_tensors(Config(fix_w1=False, fix_b1=False, fix_w2=False, fix_b2=False))
    assert_tensors_equal(got, notebook_draws())


def test_kaiming_w1_and_its_gain():
    raw = notebook_draws()
    _, got = model_tensors(Config(w1_gain=1.0))
    assert torch.equal(got["W1"], raw["W1"] * 1.0 / 30 ** 0.5)
    assert torch.equal(got["b1"], raw["b1"] * 0.01)


def test_w1_scale_uses_the_plain_factor():
    raw = notebook_draws()
    _, got = model_tensors(Config(w1_scale=0.2))
    expected = notebook_init()
    expected["W1"] = raw["W1"] * 0.2
    assert_tensors_equal(got, expected)


def test_seed_changes_every_draw():
    _, got = model_tensors(Config(seed=1234))
    assert_tensors_equal(got, notebook_init(seed=1234))
    _, default = model_tensors(Config())
    for name in ("C", "W1", "b1", "W2"):
        assert not torch.equal(got[name], default[name]), name


def test_other_sizes_draw_in_the_same_order():
    cfg = Config(n_embed=4, n_hidden=17, block_size=5)
    m = MLP(cfg, 11, torch.Generator().manual_seed(cfg.seed))
    raw = notebook_draws(vocab_size=11, n_embed=4, n_hidden=17, block_size=5)
    assert torch.equal(m.C.detach(), raw["C"])
    assert torch.equal(m.W1.detach(), raw["W1"] * (5 / 3) / 20 ** 0.5)
    assert torch.equal(m.W2.detach(), raw["W2"] * 0.01)


def test_batchnorm_off_leaves_bn_out_of_training(small_dataset):
    trainer = Trainer(Config(batchnorm=False), small_dataset)
    names = trainer.model.param_names
    assert "bngain" not in names and "bnbias" not in names
    trainer.train(30)
    m = trainer.model
    assert torch.equal(m.bngain.detach(), torch.ones(1, 200))
    assert torch.equal(m.bnbias.detach(), torch.zeros(1, 200))
    assert torch.equal(m.bnmean_running, torch.zeros(1, 200))
    assert torch.equal(m.bnstd_running, torch.ones(1, 200))
    # and they take no part in the forward pass
    x = small_dataset.splits["val"][0]
    before = m.forward(x, training=True).logits
    with torch.no_grad():
        m.bngain.mul_(3.0)
        m.bnbias.add_(1.0)
    assert torch.equal(m.forward(x, training=True).logits, before)


def test_batchnorm_on_trains_its_gain_and_bias(small_dataset):
    trainer = Trainer(Config(), small_dataset)
    trainer.train(30)
    assert not torch.equal(trainer.model.bngain.detach(), torch.ones(1, 200))
    assert not torch.equal(trainer.model.bnbias.detach(), torch.zeros(1, 200))


def test_batchnorm_normalises_the_batch(names_dataset):
    trainer = Trainer(Config(), names_dataset)
    x = names_dataset.splits["train"][0][:500]
    fw = trainer.model.forward(x, training=True)
    assert torch.allclose(fw.pres[0].mean(0), torch.zeros(200), atol=1e-5)
    assert torch.allclose(fw.pres[0].std(0), torch.ones(200), atol=1e-5)
    assert fw.raws[0].std(0).mean() > 1.2  # it was not normalised before


def test_initial_loss_with_all_fixes_is_the_notebooks(names_dataset):
    trainer = Trainer(Config(), names_dataset)
    loss = trainer.train_step()
    assert f"{loss:.4f}" == "3.3147"  # the notebook's step 0
    assert abs(loss - math.log(27)) < 0.05  # about uniform over 27 characters


def test_softmax_confidently_wrong_without_the_w2_b2_fixes(names_dataset):
    fixed = Trainer(Config(), names_dataset).train_step()
    wrong = Trainer(Config(fix_w2=False, fix_b2=False), names_dataset).train_step()
    assert wrong > 4 * fixed


def test_tanh_saturated_without_the_w1_b1_fixes(names_dataset):
    """The lecture's other init problem: with a raw W1 most tanh outputs sit in the flat tails."""
    def saturated(**kw):
        t = Trainer(Config(batchnorm=False, **kw), names_dataset)
        t.train_step()
        return t.snapshot().saturated_fraction

    raw = saturated(fix_w1=False, fix_b1=False)
    kaiming = saturated()
    scaled = saturated(w1_scale=0.2)
    assert raw > 0.5 and raw > 3 * kaiming and kaiming > scaled
