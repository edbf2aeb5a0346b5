"""The makemore playground window (PySide6 + pyqtgraph). All numbers come from `core`."""
