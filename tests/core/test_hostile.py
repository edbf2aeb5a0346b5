"""Issue 13, headless: every value the app accepts loads back; hostile files and devices are
refused in time, with the reason; failures while saving say why and keep the previous file."""
import io
import json
import os
import re
import threading

import pytest
import torch

import core.cli
import core.model.sample
import core.training.trainer
from core.checkpoint import load_checkpoint, save_checkpoint
from core.cli import build_parser, main
from core.config import LIMITS, Config, ConfigError, load_config_file, save_config_file
from core.data import MAX_WORD_LIST_BYTES, DataError, Dataset, load_words
from core.model.sample import sample_names
from core.runs.loss_log import run_loss_log
from core.runs.records import RunLog
from core.training.trainer import Cancelled, Trainer

BIG_SEED = 2**53 + 1        # 9007199254740993: the first whole number a float cannot hold


def one_line_error(capsys, argv) -> str:
    try:
        code = main(argv)
    except SystemExit as e:       # argparse refused an option
        code = e.code
    assert code == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("main.py: error: ") and "Traceback" not in err, err
    return lines[0]


# -- 1. a value accepted once loads back -------------------------------------------------------

def test_a_seed_past_2_53_comes_back_from_a_checkpoint_and_a_setup_file(small_dataset, tmp_path):
    trainer = Trainer(Config(seed=BIG_SEED, max_steps=20), small_dataset)
    trainer.train(5)
    save_checkpoint(trainer, tmp_path / "run.pt")
    loaded = load_checkpoint(tmp_path / "run.pt")
    assert loaded.cfg.seed == BIG_SEED and loaded.step == 5
    for suffix in (".toml", ".json"):
        save_config_file(trainer.cfg, tmp_path / f"setup{suffix}")
        assert load_config_file(tmp_path / f"setup{suffix}") == trainer.cfg


def test_a_seed_torch_cannot_take_is_refused_with_the_range(capsys, tmp_path):
    line = one_line_error(capsys, ["--headless", "--seed", str(2**70)])
    assert "--seed" in line and f"{2**64 - 1:,}" in line and "Overflow" not in line
    (tmp_path / "s.toml").write_text(f"seed = {2**64}\n")
    with pytest.raises(ConfigError, match=f"seed must be at most {2**64 - 1:,}"):
        load_config_file(tmp_path / "s.toml")


# -- 2. one set of limits ----------------------------------------------------------------------

CONFIG_LIMITS = [n for n in LIMITS if n in Config.__dataclass_fields__]
# every numeric setting has a command-line option; these are named unlike their field
FLAG = {"max_steps": "--steps", "n_layers": "--layers", "w1_gain": "--gain"}


def edges(name):
    """The most extreme values the limit allows, and the nearest it refuses."""
    limit = LIMITS[name]
    if limit.kind is int:
        return [limit.low, limit.high], [limit.low - 1, limit.high + 1]
    low = limit.low if not limit.low_open else 5e-324
    return [low, limit.high], [limit.low if limit.low_open else limit.low / 2, limit.high * 1.0001]


@pytest.mark.parametrize("name", CONFIG_LIMITS)
def test_config_setup_files_and_the_command_line_take_the_same_values(name, tmp_path):
    good, bad = edges(name)
    base = Config(batchnorm=False, n_embed=1, n_hidden=1, block_size=1)   # room for any one field's edge
    flag = FLAG.get(name, "--" + name.replace("_", "-"))
    for value in good:
        cfg = base.replace(**{name: value}).validate()
        save_config_file(cfg, tmp_path / "s.toml")
        assert load_config_file(tmp_path / "s.toml") == cfg                 # the file holds it exactly
        dest = flag.removeprefix("--").replace("-", "_")
        assert getattr(build_parser().parse_args([flag, str(value)]), dest) == value
    for value in bad:
        words = re.escape(LIMITS[name].words)
        with pytest.raises(ConfigError, match=words):
            base.replace(**{name: value}).validate()
        (tmp_path / "b.toml").write_text(f"{name} = {json.dumps(value)}\n")
        with pytest.raises(ConfigError, match=words):
            load_config_file(tmp_path / "b.toml", base=base)
        with pytest.raises(SystemExit):
            build_parser().parse_args([flag, str(value)])


# -- 3. word lists that are not regular files --------------------------------------------------

def load_in_a_thread(path):
    """load_words(path) on a daemon thread: a read that blocks for ever fails the test, not the run."""
    outcome = {}

    def load():
        try:
            outcome["words"] = load_words(path)
        except Exception as e:   # noqa: BLE001 - the test looks at what it was
            outcome["error"] = e
    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), f"reading {path} never ended"
    return outcome


def test_a_fifo_is_refused_without_being_read(tmp_path):
    fifo = tmp_path / "names.fifo"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)   # someone holds it open: a read would wait for ever
    try:
        outcome = load_in_a_thread(fifo)
    finally:
        os.close(writer)
    assert isinstance(outcome.get("error"), DataError) and "named pipe" in str(outcome["error"])


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_without_being_read(device):
    outcome = load_in_a_thread(device)
    assert isinstance(outcome.get("error"), DataError) and "device" in str(outcome["error"])


def test_a_word_list_over_the_size_limit_is_refused_saying_the_limit(tmp_path):
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as f:
        f.truncate(MAX_WORD_LIST_BYTES + 1)        # sparse: no disk, no time
    with pytest.raises(DataError, match=f"at most {MAX_WORD_LIST_BYTES >> 20} MiB"):
        load_words(huge)


# -- 4. --save where nothing can be written: refused before training ----------------------------

def test_save_to_a_folder_is_refused_before_the_first_step(capsys, tmp_path, word_file, small_words):
    out = io.StringIO()
    args = build_parser().parse_args(["--headless", "--data", str(word_file(small_words)), "--steps", "50",
                                      "--samples", "0", "--save", str(tmp_path)])
    with pytest.raises(OSError, match="folder"):
        core.cli.run(args, out=out)
    assert out.getvalue() == ""                    # not a step was taken


def test_save_to_a_read_only_filesystem_is_refused_before_the_first_step(small_filesystem, word_file, small_words):
    folder = small_filesystem("16k", read_only=True)
    out = io.StringIO()
    args = build_parser().parse_args(["--headless", "--data", str(word_file(small_words)), "--steps", "50",
                                      "--samples", "0", "--save", str(folder / "run.pt")])
    with pytest.raises(OSError, match="Read-only file system"):
        core.cli.run(args, out=out)
    assert out.getvalue() == ""


# -- 5. a full disk says so and keeps the previous file -----------------------------------------

def test_a_full_disk_says_no_space_left_and_keeps_the_previous_checkpoint(small_filesystem, small_dataset):
    folder = small_filesystem("64k")
    big = Trainer(Config(n_hidden=400), small_dataset)      # ~110 KB: more than the disk holds
    for previous in (None, Trainer(Config(n_hidden=20), small_dataset)):   # ~16 KB
        if previous is not None:
            save_checkpoint(previous, folder / "run.pt")
        before = sorted((p.name, p.read_bytes()) for p in folder.iterdir())
        with pytest.raises(OSError) as e:      # torch's zip writer says "unexpected pos", a RuntimeError
            save_checkpoint(big, folder / "run.pt")
        assert e.value.strerror == "No space left on device"
        assert sorted((p.name, p.read_bytes()) for p in folder.iterdir()) == before


def test_a_full_disk_ends_the_cli_in_one_line_and_exit_2(capsys, small_filesystem, word_file, small_words):
    folder = small_filesystem("16k")
    line = one_line_error(capsys, ["--headless", "--data", str(word_file(small_words)), "--steps", "5",
                                   "--samples", "0", "--n-hidden", "400", "--save", str(folder / "run.pt")])
    assert "No space left on device" in line and os.listdir(folder) == []


def test_a_full_disk_while_saving_a_setup_keeps_the_previous_one(small_filesystem):
    folder = small_filesystem("8k")                 # two pages: the old setup takes one
    save_config_file(Config(), folder / "setup.toml")
    before = (folder / "setup.toml").read_bytes()
    with pytest.raises(OSError, match="No space left"):
        save_config_file(Config(data="x" * 8000), folder / "setup.toml")    # needs two
    assert (folder / "setup.toml").read_bytes() == before and os.listdir(folder) == ["setup.toml"]


# -- 6. setup files with inf, 1e400 or deep nesting ---------------------------------------------

@pytest.mark.parametrize("name, text, words", [
    ("inf.toml", "max_steps = inf\n", "whole number"),
    ("lr-inf.toml", "lr = inf\n", "at most 1,000"),
    ("big.json", '{"lr_decay_step": 1e400}', "whole number"),
    ("nested.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("nested.toml", "a = " + "[" * 100_000 + "]" * 100_000 + "\n", "setup file"),
])
def test_a_wild_setup_file_ends_in_one_line_and_exit_2(capsys, tmp_path, name, text, words):
    (tmp_path / name).write_text(text)
    line = one_line_error(capsys, ["--headless", "--config", str(tmp_path / name)])
    assert words in line and "Overflow" not in line and "Recursion" not in line


# -- 7. evaluation checks for cancellation between pieces ----------------------------------------

def test_evaluation_in_pieces_stops_when_cancelled(small_dataset, monkeypatch):
    trainer = Trainer(Config(), small_dataset)
    whole = trainer.split_loss("train")
    monkeypatch.setattr(core.training.trainer, "EVAL_ELEMENTS", 200 * 10)      # 10 rows at once: many pieces
    monkeypatch.setattr(core.training.trainer, "EVAL_CHUNK_ELEMENTS", 200 * 10, raising=False)
    asked = []
    assert trainer.split_loss("train", cancelled=lambda: asked.append(1) and False) == pytest.approx(whole)
    pieces = len(asked)
    assert pieces == -(-trainer.splits["train"][0].shape[0] // 10)
    asked.clear()
    with pytest.raises(Cancelled):
        trainer.split_loss("train", cancelled=lambda: asked.append(1) or len(asked) > 3)
    assert len(asked) == 4                        # it stopped at the first check that said so


# -- 8. the loss log trains on the words it is given ----------------------------------------------

def test_the_loss_log_trains_on_the_runs_words_not_the_file(tmp_path, small_words, small_dataset):
    gone = tmp_path / "deleted.txt"                  # the run's list, deleted since it was read
    base = Config(data=str(gone))
    records = run_loss_log(base, list(small_words), RunLog(), max_steps=200)
    assert len(records) == 4
    straight = Trainer(Config().replace(fix_w2=False, fix_b2=False, fix_w1=False, fix_b1=False,
                                        batchnorm=False, max_steps=200, lr_decay_step=100), small_dataset)
    straight.train(200)
    assert records[0].val_loss == straight.split_loss("val")


# -- 9. a tiny temperature samples greedily ---------------------------------------------------

def test_a_tiny_temperature_samples_the_likeliest_name(small_dataset):
    trainer = Trainer(Config(max_steps=300), small_dataset)
    trainer.train(300)
    greedy = sample_names(trainer.model, small_dataset.vocab, 3, temperature=1e-39)
    assert len({s.text for s in greedy}) == 1            # no randomness left: the same name each time
    assert all(p == 1.0 for s in greedy for p in s.probs)
    assert greedy == sample_names(trainer.model, small_dataset.vocab, 3, temperature=1e-300, seed=5)


def test_the_cli_samples_at_a_tiny_temperature(word_file, small_words):
    out = io.StringIO()
    args = build_parser().parse_args(["--headless", "--data", str(word_file(small_words)), "--steps", "50",
                                      "--samples", "2", "--temperature", "1e-39"])
    assert core.cli.run(args, out=out) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 5 and lines[-1] == lines[-2]


# -- 10. --samples streams --------------------------------------------------------------------

def test_the_cli_prints_each_name_as_it_is_drawn(word_file, small_words, monkeypatch):
    drawn = []
    real = torch.multinomial
    monkeypatch.setattr(core.model.sample.torch, "multinomial", lambda *a, **k: drawn.append(1) or real(*a, **k))

    class FirstName(Exception):
        pass

    class Out(io.StringIO):
        def write(self, text):
            super().write(text)
            if self.getvalue().count("\n") == 4:     # step 0, train, val, and the first name
                raise FirstName(len(drawn))

    args = build_parser().parse_args(["--headless", "--data", str(word_file(small_words)), "--steps", "1",
                                      "--samples", f"{LIMITS['samples'].high}"])
    with pytest.raises(FirstName) as e:
        core.cli.run(args, out=Out())
    assert e.value.args[0] <= 50        # only the first name's characters were drawn when it was printed


# -- 11. files honour the umask ---------------------------------------------------------------

@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_checkpoints_and_setup_files_honour_the_umask(tmp_path, small_dataset, umask, mode):
    old = os.umask(umask)
    try:
        save_checkpoint(Trainer(Config(n_hidden=10), small_dataset), tmp_path / "run.pt")
        save_config_file(Config(), tmp_path / "setup.toml")
        save_config_file(Config(), tmp_path / "setup.json")
    finally:
        os.umask(old)
    for name in ("run.pt", "setup.toml", "setup.json"):
        assert (tmp_path / name).stat().st_mode & 0o777 == mode, name


# -- 12. the divergence message names the real cause ------------------------------------------------

@pytest.mark.parametrize("changes", [{"w1_gain": float("inf")}, {"w1_gain": 1e30}, {"w1_scale": float("inf")},
                                     {"w1_scale": 1e39}])
def test_an_infinite_or_extreme_init_is_refused_by_validation(changes):
    with pytest.raises(ConfigError, match="W1 (gain|scale) must be at most 1,000"):
        Config(**changes).validate()


@pytest.mark.parametrize("engine", ["fast", "exact"])
def test_a_zero_batch_std_says_so_instead_of_lower_the_learning_rate(engine):
    """Enormous words of one letter fill the training split: every example of a batch has the
    same context, so BatchNorm divides 0 by a std of 0 at step 0."""
    words = ["a" * 20_000] * 10
    dataset = Dataset.from_words(words, 3)
    trainer = Trainer(Config(engine=engine), dataset)
    assert trainer.train_step() is None and trainer.diverged_at == 0
    assert "batch std of 0" in trainer.divergence and "BatchNorm" in trainer.divergence
    assert "200 of 200 neurons" in trainer.divergence   # every one: their columns are all alike
    assert "Lower the learning rate and continue" not in trainer.divergence


# -- 13. a roll-back puts the batches back too ------------------------------------------------------

@pytest.mark.parametrize("engine", ["fast", "exact"])
@pytest.mark.parametrize("chunked", [False, True], ids=["train_step", "train"])
def test_after_a_roll_back_training_goes_on_as_a_run_stopped_a_step_earlier(small_dataset, engine, chunked):
    cfg = Config(max_steps=200, engine=engine)
    diverging = Trainer(cfg, small_dataset)
    diverging.train(30)
    with torch.no_grad():                 # step 30's loss is NaN: the weights it starts from are
        diverging.model.blocks[-1].weight[0, 0] = float("nan")
    if chunked:
        assert diverging.train(20) == [] and diverging.diverged_at == 30
    else:
        assert diverging.train_step() is None
    assert diverging.step == 29 and not torch.isnan(diverging.model.blocks[-1].weight).any()

    stopped = Trainer(cfg, small_dataset)   # the same run, paused at step 29
    stopped.train(29)
    assert torch.equal(diverging.generator.get_state(), stopped.generator.get_state())
    for t in (diverging, stopped):
        t.set_live(lr=0.05)
    assert diverging.train(50) == stopped.train(50)       # loss for loss: the same batches, step for step
