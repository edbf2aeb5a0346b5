"""Export a plot to PNG or SVG (pyqtgraph's exporters) and the window to PNG."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401  (registers the exporters)
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QWidget

from core.files import atomic_write

PLOT_FILTERS = "PNG image (*.png);;SVG drawing (*.svg)"
PNG_SCALE = 2           # plots are written at twice their size on screen, for print


class ExportError(ValueError):
    """A file that could not be written, with a message meant for a person."""


def export_plot(plot_item: pg.PlotItem, path: str | Path) -> Path:
    """Write the plot as PNG or SVG, by the name's suffix (PNG when it has none)."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        path = path.with_name(path.name + ".png")
    try:
        if path.suffix.lower() == ".svg":
            with _closed_paths_understood():
                drawing = pg.exporters.SVGExporter(plot_item).export(toBytes=True)
            atomic_write(path, lambda f: f.write(drawing))    # a full disk leaves the old file as it was
        else:
            exporter = pg.exporters.ImageExporter(plot_item)
            width = int(plot_item.sceneBoundingRect().width()) or 640
            exporter.parameters()["width"] = PNG_SCALE * width
            _write_png(exporter.export(toBytes=True), path)
    except OSError as e:
        raise ExportError(f"Cannot write {path}: {e.strerror or e}.") from None
    if not path.is_file():
        raise ExportError(f"Cannot write {path}.")
    return path


def _write_png(image: QImage | QPixmap, path: Path) -> None:
    """Encode in memory, then write with Python: Qt's save() only says that it failed, the
    OSError says why (no such folder, a full disk, permission denied)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise ExportError(f"Cannot encode the picture for {path}.")
    atomic_write(path, lambda f: f.write(bytes(data)))


def save_window_image(window: QWidget, path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".png":
        path = path.with_name(path.name + ".png")
    try:
        _write_png(window.grab(), path)
    except OSError as e:
        raise ExportError(f"Cannot write {path}: {e.strerror or e}.") from None
    return path


@contextmanager
def _closed_paths_understood():
    """pyqtgraph 0.14's SVG exporter reads each path as 'x,y' pairs and fails on the 'Z'
    (close path) that Qt 6.11 writes (pyqtgraph issue #3485): while exporting, write each
    Z as a line back to its sub-path's start, which it does understand."""
    module = sys.modules["pyqtgraph.exporters.SVGExporter"]
    original = module.correctCoordinates

    def correct(node, defs, item, options):
        for path in node.getElementsByTagName("path"):
            d = path.getAttribute("d")
            if "Z" in d or "z" in d:
                path.setAttribute("d", _lines_for_closes(d))
        return original(node, defs, item, options)

    module.correctCoordinates = correct
    try:
        yield
    finally:
        module.correctCoordinates = original


def _lines_for_closes(d: str) -> str:
    out, start = [], None
    for token in d.split():
        while token[:1] in ("Z", "z"):
            if start is not None:
                out.append("L" + start)
            token = token[1:]
        if not token:
            continue
        if token[0] in "Mm":
            start = token[1:]
        out.append(token)
    return " ".join(out)
