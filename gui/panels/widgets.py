"""Spin boxes that show numbers the way the notebook writes them (0.1, not 0.10000)."""
from __future__ import annotations

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QSizePolicy, QSpinBox

MAX_INT = 2**31 - 1


def int_spin(lo: int, hi: int, tip: str, step: int = 1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setGroupSeparatorShown(True)
    box.setLocale(QLocale.c())
    box.setToolTip(tip)
    box.setKeyboardTracking(False)
    return box


class NumberSpinBox(QDoubleSpinBox):
    """A float shown with up to 6 significant digits; arrows step by about a tenth."""

    def __init__(self, lo: float, hi: float, tip: str):
        super().__init__()
        self.setLocale(QLocale.c())
        self.setDecimals(8)
        self.setRange(lo, hi)
        self.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.setToolTip(tip)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"


class BigIntSpinBox(QDoubleSpinBox):
    """Whole numbers past 2³¹ (torch seeds such as the notebook's 2147483647 + 10)."""

    def __init__(self, lo: int, hi: int, tip: str):
        super().__init__()
        self.setLocale(QLocale.c())
        self.setDecimals(0)
        self.setRange(lo, hi)
        self.setToolTip(tip)
        self.setKeyboardTracking(False)
        # its size hint would fit 2**63 in digits; take the width the panel has instead
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(90)

    def textFromValue(self, value: float) -> str:
        return str(int(value))

    def int_value(self) -> int:
        return int(self.value())
