"""Hostile input, round 3 (issue 19): the window's side of it."""
from __future__ import annotations

import os

import pytest

from gui.workbench.export import ExportError


def fill(folder) -> None:
    """Write into folder until the disk is full."""
    with open(folder / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass


def test_an_svg_export_on_a_full_disk_keeps_the_previous_file(qtbot, window, small_filesystem):
    """item 9: the SVG was written straight onto the target, so a full disk destroyed it."""
    folder = small_filesystem("256k")
    path = folder / "loss.svg"
    before = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">the previous drawing</svg>'
    path.write_bytes(before)
    fill(folder)
    with pytest.raises(ExportError, match="No space left on device"):
        window.workbench.export_plot(next(iter(window.workbench.plots())), path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(folder)) == ["filler", "loss.svg"]     # no temporary left behind
