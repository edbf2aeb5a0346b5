"""Screenshots of the Layers view (gui/workbench/layers_view.py) after 1,500 steps of a preset,
a snapshot every 50 steps: python bench/layers_screenshots.py lecture-deep no-bn-gain-3
(writes resources/layers_<preset>.png)."""
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

torch.set_num_threads(1)
app = QApplication([])
from core.data import Dataset, default_names_path  # noqa: E402
from core.presets import preset_config  # noqa: E402
from core.train import Trainer  # noqa: E402
from gui.plots.style import configure_pyqtgraph  # noqa: E402
from gui.workbench.layers_view import LayersView  # noqa: E402

configure_pyqtgraph()
ds = Dataset.load(str(default_names_path()), 3)
out = Path(__file__).resolve().parent.parent / "resources"
for name in sys.argv[1:]:
    v = LayersView()
    v.resize(1400, 1000)
    v.show()
    t = Trainer(preset_config(name).replace(data=str(default_names_path())), ds)
    for _ in range(30):
        t.train(50)
        v.show_snapshot(t.snapshot())
        app.processEvents()
    v.grab().save(str(out / f"layers_{name.replace('-', '_')}.png"))
    print(name, "step", t.step)
