"""Export: any plot to PNG or SVG, the whole window to PNG."""
import xml.dom.minidom

import pytest
from PySide6.QtGui import QImage
from window_helpers import wait_status


@pytest.fixture
def trained(qtbot, window):
    window.step100_action.trigger()
    wait_status(qtbot, window, lambda s: s.step == 100)
    def check():
        assert window.run.snapshot is not None and window.workbench.runs.current.latest is not None
    qtbot.waitUntil(check)
    for i in range(window.tabs.count()):         # every tab drawn once
        window.tabs.setCurrentIndex(i)
        def check():
            assert not window.session.pending
        qtbot.waitUntil(check)
    window.workbench.runs.runs_tab.table.selectAll()
    return window


def test_every_plot_exports_to_png_and_svg(trained, tmp_path):
    wb = trained.workbench
    names = list(wb.plots())
    assert len(names) >= 15 and set(names) == set(wb.plot_actions)
    for i, name in enumerate(names):
        png = wb.files.export_plot(name, tmp_path / f"{i}.png")
        image = QImage(str(png))
        assert not image.isNull() and image.width() >= 200 and image.height() >= 100, name
        svg = wb.files.export_plot(name, tmp_path / f"{i}.svg")
        root = xml.dom.minidom.parse(str(svg)).documentElement
        assert root.tagName == "svg", name
        assert root.getElementsByTagName("path") or root.getElementsByTagName("polyline"), name


def test_the_window_saves_as_png(trained, tmp_path):
    path = trained.workbench.files.save_window_image(tmp_path / "window")
    assert path.suffix == ".png"
    image = QImage(str(path))
    assert (image.width(), image.height()) == (trained.width(), trained.height())


def test_export_menu_lists_every_plot(trained):
    wb = trained.workbench
    menus = [a.menu() for a in trained.file_menu.actions() if a.menu() is not None]
    export = next(m for m in menus if m.title() == "&Export")
    plots = next(a.menu() for a in export.actions() if a.menu() is not None)
    assert [a.text() for a in plots.actions()] == [f"{n}…" for n in wb.plots()]
    assert wb.window_image_action in export.actions()
