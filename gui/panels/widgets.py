"""Spin boxes that show numbers the way the notebook writes them (0.1, not 0.10000), take
them the way people type them (1e-3), and say so when a value they were given can never
be valid, instead of silently keeping the old one."""
from __future__ import annotations

import math
import re

from PySide6.QtCore import QLocale, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QLineEdit, QSizePolicy, QSpinBox

from core.config import parse_number

MAX_INT = 2**31 - 1

# what may still become a number as more is typed: "", "-", "1.", "1e", "1e-"
_FLOAT_PREFIX = re.compile(r"[+-]?\d*\.?\d*(?:[eE][+-]?\d*)?")
_INT_PREFIX = re.compile(r"[+-]?[\d,]*")   # whole numbers, with or without group separators


def _validate_int(text: str, lo: float, hi: float) -> QValidator.State:
    """Acceptable in range; Intermediate for what may still become a number, or is one out of
    range ("0", "-5", "10000000": refused on Enter with a message, not cut to fit as Qt does)."""
    s = text.strip()
    if not _INT_PREFIX.fullmatch(s):
        return QValidator.State.Invalid
    digits = s.replace(",", "")
    if digits in ("", "+", "-"):
        return QValidator.State.Intermediate
    if len(digits) > 25:
        return QValidator.State.Invalid
    return QValidator.State.Acceptable if lo <= int(digits) <= hi else QValidator.State.Intermediate


def _int_from_text(text: str) -> int:
    return int(text.strip().replace(",", ""))


class _Refusing:
    """A spin box's `refused` signal: emitted once per edit whose text it had to throw away
    (Qt then keeps the previous value), with a sentence saying what it takes."""

    what = "value"

    def _init_refusing(self, what: str) -> None:
        self.what = what
        self._refused_text: str | None = None
        self.lineEdit().textEdited.connect(self._forget_refusal)

    def _forget_refusal(self, *_) -> None:
        self._refused_text = None

    def _refuse(self, text: str) -> None:
        text = text.strip()
        state = self.validate(text, len(text))[0]
        if text and state != QValidator.State.Acceptable and text != self._refused_text:
            self._refused_text = text
            self.refused.emit(f"{text} is not a valid {self.what}: {self.allowed()}. "
                              f"It stays {self.textFromValue(self.value())}.")


class IntSpinBox(_Refusing, QSpinBox):
    refused = Signal(str)

    def __init__(self, what: str = "value"):
        super().__init__()
        self._init_refusing(what)

    def validate(self, text: str, pos: int):
        return _validate_int(text, self.minimum(), self.maximum()), text, pos

    def valueFromText(self, text: str) -> int:
        try:
            return _int_from_text(text)
        except ValueError:
            return self.value()

    def allowed(self) -> str:
        return f"use a whole number from {self.minimum():,} to {self.maximum():,}"

    def fixup(self, text: str) -> str:
        self._refuse(text)
        return text


def int_spin(lo: int, hi: int, tip: str, step: int = 1, what: str = "value") -> IntSpinBox:
    box = IntSpinBox(what)
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setGroupSeparatorShown(True)
    box.setLocale(QLocale.c())
    box.setToolTip(tip)
    box.setKeyboardTracking(False)
    return box


class NumberSpinBox(_Refusing, QDoubleSpinBox):
    """A float shown with up to 6 significant digits; arrows step by about a tenth. Typed
    text may use an exponent (1e-3); a number out of range is refused, not cut to fit."""
    refused = Signal(str)

    def __init__(self, lo: float, hi: float, tip: str, what: str = "value"):
        super().__init__()
        self.setLocale(QLocale.c())
        self.setDecimals(8)
        self.setRange(lo, hi)
        self.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.setToolTip(tip)
        self.setKeyboardTracking(False)
        self._init_refusing(what)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        s = text.strip()
        try:
            value = float(s)
        except ValueError:
            ok = _FLOAT_PREFIX.fullmatch(s) is not None
            return QValidator.State.Intermediate if ok else QValidator.State.Invalid, text, pos
        if not math.isfinite(value) or not _FLOAT_PREFIX.fullmatch(s):   # inf, nan, 1_0
            return QValidator.State.Invalid, text, pos
        # out of range is not Invalid: "0" may be on its way to "0.01"
        ok = self.minimum() <= value <= self.maximum()
        return QValidator.State.Acceptable if ok else QValidator.State.Intermediate, text, pos

    def allowed(self) -> str:
        return f"use a number from {self.minimum():g} to {self.maximum():g}"

    def fixup(self, text: str) -> str:
        self._refuse(text)
        return text


class BigIntSpinBox(_Refusing, QDoubleSpinBox):
    """Whole numbers past 2³¹ (torch seeds such as the notebook's 2147483647 + 10)."""
    refused = Signal(str)

    def __init__(self, lo: int, hi: int, tip: str, what: str = "seed"):
        super().__init__()
        self.setLocale(QLocale.c())
        self.setDecimals(0)
        self.setRange(lo, hi)
        self.setToolTip(tip)
        self.setKeyboardTracking(False)
        # its size hint would fit 2**63 in digits; take the width the panel has instead
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(90)
        self._init_refusing(what)

    def textFromValue(self, value: float) -> str:
        return str(int(value))

    def int_value(self) -> int:
        return int(self.value())

    def validate(self, text: str, pos: int):
        return _validate_int(text, self.minimum(), self.maximum()), text, pos

    def valueFromText(self, text: str) -> float:
        try:
            return float(_int_from_text(text))
        except ValueError:
            return self.value()

    def allowed(self) -> str:
        return f"use a whole number from {int(self.minimum())} to {int(self.maximum()):,}"

    def fixup(self, text: str) -> str:
        self._refuse(text)
        return text


def number_text(value: float) -> str:
    """A number as it reads back exactly: a small fraction as one (5/3 for Python's 5 / 3),
    else the shortest text float() turns into the same value."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    if len(repr(value)) <= 8:        # 0.1, 2.5: as typed
        return repr(value)
    for bottom in range(2, 13):
        top = round(value * bottom)
        if top / bottom == value:
            return f"{top}/{bottom}"
    return repr(value)


class FractionEdit(QLineEdit):
    """A number typed as people write a gain: 1, 0.5, 1e-1 or a fraction such as 5/3 (exactly
    Python's 5 / 3), from `lo` (excluded) to `hi`. Text that is no such number is refused with
    a message on Enter or leaving the field, and the last good value comes back."""
    valueChanged = Signal(float)
    refused = Signal(str)

    def __init__(self, lo: float, hi: float, value: float, tip: str, what: str = "value"):
        super().__init__()
        self.lo, self.hi, self.what = lo, hi, what
        self._value = value
        self.setText(number_text(value))
        self.setToolTip(tip)
        self.editingFinished.connect(self._commit)

    def value(self) -> float:
        """What the field shows, once it is a valid number (a Reset pressed before Enter takes
        it), else the last good value."""
        return v if (v := self._parse(self.text())) is not None else self._value

    def _parse(self, text: str) -> float | None:
        try:
            value = parse_number(text.strip())
        except ValueError:
            return None
        return value if math.isfinite(value) and self.lo < value <= self.hi else None

    def setValue(self, value: float) -> None:
        changed = value != self._value or self._parse(self.text()) != value
        self._value = value
        self.setText(number_text(value))
        if changed and not self.signalsBlocked():
            self.valueChanged.emit(value)

    def allowed(self) -> str:
        return f"use a number or a fraction such as 5/3, greater than {self.lo:g} and at most {self.hi:g}"

    def _commit(self) -> None:
        text = self.text().strip()
        value = self._parse(text)
        if value is None:
            self.setText(number_text(self._value))
            self.refused.emit(f"{text or 'An empty field'} is not a valid {self.what}: {self.allowed()}. "
                              f"It stays {number_text(self._value)}.")
            return
        self.setValue(value)
