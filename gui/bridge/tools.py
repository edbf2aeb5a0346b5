"""The worker's side of the lectures' tools (issue 22): commands answered between two steps."""
from __future__ import annotations

from typing import Any

from core.diagnostics.grad_check import check, engines
from core.diagnostics.lr_finder import detached_copy
from gui.bridge import commands as c


class ToolCommands:
    def __init__(self, worker):
        self.worker = worker

    def apply(self, command) -> Any:
        w = self.worker
        match command:
            case c.SetPace(steps_per_second, until_step):
                w.pace.set(steps_per_second, until_step)
                return steps_per_second
            case c.CopyTrainer():
                return w.run_id, detached_copy(w.require_trainer())
            case c.CheckGradients():
                t = w.require_trainer()
                return w.run_id, t.step, [check(t, engine) for engine in engines(t)]
            case c.Embedding():
                t = w.require_trainer()
                return w.run_id, t.step, t.model.C.detach().cpu().numpy().copy()
        raise TypeError(f"not a tool command: {command!r}")
