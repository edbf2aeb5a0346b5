"""Sweep specs: what a user writes is read as meant, and a spec that cannot run is refused in one
line that names the key, before anything trains."""
import pytest
from sweep_helpers import sweep_in_process, write_spec, write_words

from core.sweeps.spec import Choice, Range, SpecError, parse_spec

GOOD = """
name = "lr-and-width"
method = "random"
trials = 5
steps = 2000
[base]
preset = "fix-tanh"
data = "names.txt"
n_embed = 6
[params]
lr = { low = 0.01, high = 1.0, log = true }
n_hidden = { low = 50, high = 400 }
batchnorm = [true, false]
"""


def test_a_spec_reads_as_written(tmp_path):
    spec = parse_spec(GOOD, folder=tmp_path)
    assert spec.base.data == str(tmp_path / "names.txt")        # relative to the spec's folder
    assert spec.base.n_embed == 6 and spec.base.batchnorm is False   # the preset, then the keys beside it
    assert spec.params["lr"] == Range(0.01, 1.0, log=True)
    assert spec.params["n_hidden"] == Range(50, 400) and spec.params["n_hidden"].is_int   # ints stay ints
    assert spec.params["batchnorm"] == Choice((True, False))
    assert (spec.trials, spec.report_every, spec.metric, spec.pruning) == (5, 200, "val", "none")
    again = parse_spec(spec.to_toml(), folder=tmp_path)     # saved and opened again: the same sweep
    assert again.params == spec.params and again.base == spec.base


def test_a_grid_has_one_trial_per_combination(tmp_path):
    spec = parse_spec('name = "g"\nmethod = "grid"\nsteps = 100\n[params]\nlr = [0.03, 0.1, 0.3]\n'
                      'n_hidden = [50, 100, 200]\n', folder=tmp_path)
    assert spec.trials == spec.grid_size == 9


BAD = [
    ("colour = 3", "colour"),                                             # unknown top-level key
    ("[params]\nlr = []", "params.lr"),                                   # empty choice
    ("[params]\nlr = { low = 1.0, high = 0.01 }", "params.lr"),           # low > high
    ("[params]\nlr = { low = 0.1, high = 5000.0 }", "params.lr.high"),    # outside LIMITS
    ("[params]\nn_hidden = [0, 10]", "params.n_hidden"),                  # outside LIMITS, in a choice
    ("[params]\nwidth = [1, 2]", "params.width"),                         # not a setting
    ("[params]\nlr = { low = 0.1, high = 0.2, step = 2 }", "params.lr.step"),
    ("[base]\nhidden = 3\n[params]\nlr = [0.1]", "base.hidden"),
    ("[params]\nlr = { low = 0.0, high = 0.2, log = true }", "params.lr"),
]


@pytest.mark.parametrize("tail, key", BAD, ids=[k for _, k in BAD])
def test_a_bad_spec_is_refused_naming_the_key(tmp_path, tail, key):
    head = 'name = "s"\nmethod = "random"\ntrials = 3\nsteps = 100\n'
    if "[params]" not in tail:
        tail += "\n[params]\nlr = [0.1, 0.2]" if "[base]" not in tail else ""
    with pytest.raises(SpecError) as e:
        parse_spec(head + tail + "\n", folder=tmp_path)
    assert key in str(e.value) and "\n" not in str(e.value)


def test_a_grid_of_more_than_ten_thousand_trials_is_refused(tmp_path):
    big = "[params]\n" + "\n".join(f"{k} = [{', '.join(str(v) for v in range(1, 23))}]"
                                   for k in ("n_hidden", "n_embed", "block_size"))
    with pytest.raises(SpecError, match=r"10,648 combinations; at most 10,000"):
        parse_spec('name = "big"\nmethod = "grid"\nsteps = 10\n' + big, folder=tmp_path)


def test_steps_and_ranges_use_the_settings_limits(tmp_path):
    with pytest.raises(SpecError, match="steps: must be at least 1"):
        parse_spec('name = "s"\nmethod = "grid"\nsteps = 0\n[params]\nlr = [0.1]', folder=tmp_path)
    with pytest.raises(SpecError, match=r"params.n_layers.high: must be at most 8"):
        parse_spec('name = "s"\nmethod = "tpe"\ntrials = 2\nsteps = 10\n[params]\n'
                   'n_layers = { low = 1, high = 9 }', folder=tmp_path)


def test_the_command_line_refuses_a_bad_spec_in_one_line_and_runs_nothing(tmp_path, capsys, temporary_run_store):
    write_words(tmp_path)
    spec = write_spec(tmp_path, params="lr = [0.1, -1.0]")
    code, rows, err = sweep_in_process(capsys, spec)
    assert code == 2 and rows is None
    assert err.count("\n") == 1 and "params.lr" in err and "Traceback" not in err
    assert not temporary_run_store.exists()           # nothing started, nothing stored
