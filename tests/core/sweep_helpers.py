"""What the sweep tests share: a small word list, specs written as a user writes them, and
`main.py sweep` run in this process or as a child process."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

MAIN = Path(__file__).resolve().parents[2] / "main.py"
# tiny nets and a few hundred steps: each trial trains in about a second
TINY = {"n_embed": 4, "n_hidden": 16, "batch_size": 32}


def write_words(folder: Path, n: int = 400) -> Path:
    """n made-up names of syllables: enough structure that a good learning rate learns it within
    a few hundred steps and a crawling one does not."""
    rng = random.Random(1)
    syllables = ["ka", "lo", "mi", "ra", "na", "te", "so", "vi", "an", "el"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(n)]
    path = folder / "words.txt"
    path.write_text("\n".join(words) + "\n")
    return path


def write_spec(folder: Path, name: str = "grid", params: str = "lr = [0.05, 0.2]\nbatchnorm = [true, false]",
               steps: int = 300, extra: str = "", base: dict | None = None) -> Path:
    base = {**TINY, **(base or {})}
    lines = [f'name = "{name}"', 'method = "grid"', f"steps = {steps}", "report_every = 100", extra, "[base]",
             'data = "words.txt"'] + [f"{k} = {json.dumps(v)}" for k, v in base.items()] + ["[params]", params]
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def sweep_in_process(capsys, *args) -> tuple[int, list[dict] | None, str]:
    """main.py sweep ARGS --json here: exit code, the JSON trials (None if stdout is not JSON), stderr."""
    from core.cli import main
    code = main(["sweep", *map(str, args), "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def sweep_process(*args, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(MAIN), "sweep", *map(str, args)], cwd=MAIN.parent,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
