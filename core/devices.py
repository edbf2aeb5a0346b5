"""Where training can run: the CPU always, CUDA when torch sees a GPU."""
from __future__ import annotations


def available_devices() -> tuple[str, ...]:
    import torch
    return ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",)
