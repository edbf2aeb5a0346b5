"""Number fields that hold exactly the value training uses (a learning rate of 0.123456789,
a seed of 2**64 - 1, 10**12 steps), within the limits core.config.LIMITS sets for every
path (command line, setup files, window). They show numbers the way the notebook writes them
(0.1, not 0.10000), take them the way people type them (1e-3, 100,000, and under a locale
with a decimal comma 0,05 as well as 0.05), and say so when a typed value can never be valid,
instead of cutting it to fit, dropping a character or silently keeping the old one. Whole
numbers are grouped with spaces (100 000), which no locale reads as a decimal point.

Qt's QSpinBox stops at 2**31 - 1 and QDoubleSpinBox rounds to a fixed number of decimals,
so both are a QAbstractSpinBox here that keeps its value as a Python number.
"""
from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator, QWheelEvent
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QSizePolicy

from core.config import LIMITS, Limit, parse_number, parse_whole

_MAX_DIGITS = 40


def show_float(value: float) -> str:
    """The shortest text that reads back as exactly `value`: 0.1, 1e-07, 0.123456789, 1000."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


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


def wheel_when_focused(widget) -> None:
    """Let `widget` take the wheel only once it has the focus (a click or Tab): scrolling the
    panel past it must not change a setting. Its class ignores unfocused wheel events (see
    NumberBox.wheelEvent, ChoiceBox.wheelEvent), so they scroll the panel instead."""
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


class ChoiceBox(QComboBox):
    """A combo box that the wheel changes only when it has the focus."""

    def __init__(self, parent=None):
        super().__init__(parent)
        wheel_when_focused(self)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()      # to the scroll area around it


class NumberBox(QAbstractSpinBox):
    """A field for one LIMITS entry. value() is an int or a float, exactly as set or typed.
    With `fractions` (a gain) it also takes 5/3, exactly Python's 5 / 3, and shows it so."""
    valueChanged = Signal(object)
    refused = Signal(str)      # a typed value was thrown away: why, and what it stays

    def __init__(self, limit: Limit, tip: str = "", what: str | None = None, step: int | float = 1,
                 grouped: bool = True, fractions: bool = False):
        super().__init__()
        self.limit, self.what = limit, what or limit.words
        self.step, self.grouped, self.fractions = step, grouped, fractions
        self._value = limit.low if not limit.low_open else min(1, limit.high)
        self._refused_text: str | None = None
        self.setToolTip(tip)
        self.setKeyboardTracking(False)
        self.setAccelerated(True)
        wheel_when_focused(self)
        self.lineEdit().textEdited.connect(self._forget_refusal)
        self.editingFinished.connect(self._commit)
        self._show()

    # -- the value ------------------------------------------------------------------------
    def value(self):
        return self._value

    def int_value(self) -> int:
        return int(self._value)

    def typed_value(self):
        """What the field shows, once it is a valid value (a Reset pressed before Enter takes
        it, as shown), else value()."""
        text = self.lineEdit().text()
        if self.validate(text, len(text))[0] == QValidator.State.Acceptable:
            return self._parse(text)
        return self._value

    def minimum(self):
        return self.limit.low

    def maximum(self):
        return self.limit.high

    def setValue(self, value) -> None:
        """Show `value` exactly; one the limits refuse raises ValueError (never cut to fit)."""
        if self.limit.kind is int and isinstance(value, float) and value.is_integer():
            value = int(value)
        elif self.limit.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if (problem := self.limit.problem(value)) is not None:
            raise ValueError(f"The {self.what} {problem}.")
        changed = value != self._value
        self._value = value
        self._show()
        if changed:
            self.valueChanged.emit(value)

    def textFromValue(self, value) -> str:
        if self.fractions:
            return number_text(value)
        if self.limit.kind is float:
            return show_float(value)
        return f"{value:,}".replace(",", " ") if self.grouped else str(value)

    def allowed(self) -> str:
        if self.fractions:
            return f"use {self.limit.allowed()}, or a fraction such as 5/3"
        return f"use {self.limit.allowed()}"

    def _show(self) -> None:
        self.lineEdit().setText(self.textFromValue(self._value))

    # -- typing ---------------------------------------------------------------------------
    def _parse(self, text: str):
        """The number typed: '.' is a decimal point everywhere, and so is the locale's own
        (',' in German); a whole number may be grouped (100 000, or 100,000 where ',' is not
        the decimal point). Anything else raises ValueError."""
        s = text.strip()
        comma_decimal = self.locale().decimalPoint() == ","
        if self.limit.kind is int:
            if comma_decimal and "," in s:
                raise ValueError(s)        # 1,5 is a fraction here, and 1,000 would read as 1.0
            return parse_whole(s)
        if comma_decimal:
            s = s.replace(",", ".")
        value = parse_number(s) if self.fractions else float(s)
        if not math.isfinite(value):
            raise ValueError(s)
        return value

    def validate(self, text: str, pos: int):
        """Acceptable within the limits; anything else Intermediate (never Invalid, so no key
        is swallowed: "0" may be on its way to "0.01", and "1e9" in a whole-number field is
        refused on Enter as typed, with a message, not kept as "19")."""
        if len(text.strip()) > _MAX_DIGITS:
            return QValidator.State.Invalid, text, pos
        try:
            value = self._parse(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        ok = self.limit.problem(value) is None
        return QValidator.State.Acceptable if ok else QValidator.State.Intermediate, text, pos

    def fixup(self, text: str) -> str:
        return text

    def _forget_refusal(self, *_) -> None:
        self._refused_text = None

    def _commit(self) -> None:
        text = self.lineEdit().text().strip()
        if text == self.textFromValue(self._value):
            self.lineEdit().setModified(False)
            return
        if self.validate(text, len(text))[0] == QValidator.State.Acceptable:
            self.setValue(self._parse(text))
            return
        if text and text != self._refused_text:
            self._refused_text = text
            self.refused.emit(f"{text} is not a valid {self.what}: {self.allowed()}. "
                              f"It stays {self.textFromValue(self._value)}.")
        self._show()

    # -- arrows, wheel and Page Up/Down ---------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()      # to the scroll area around it

    def _step_size(self, up: bool):
        if self.limit.kind is int:
            return self.step
        # about a tenth of the value, as Qt's adaptive decimal steps: 0.1 -> 0.11, 0.01 -> 0.011
        v = abs(self._value)
        if v == 0:
            return 10 ** -6
        power = math.floor(math.log10(v))
        if not up and v == 10 ** power:
            power -= 1     # going down from 0.1 steps by 0.01, to 0.09
        return 10.0 ** (power - 1)

    def stepBy(self, steps: int) -> None:
        value = self._value
        for _ in range(abs(steps)):
            size = self._step_size(steps > 0)
            value = value + size if steps > 0 else value - size
            if self.limit.kind is float:
                value = float(f"{value:.12g}")    # 0.1 + 0.01 is 0.11, not 0.11000000000000001
        value = min(max(value, self.limit.low), self.limit.high)
        if self.limit.problem(value) is not None:   # at an open bound: stay
            return
        self.setValue(value)
        self.lineEdit().selectAll()

    def stepEnabled(self):
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        if self._value < self.limit.high:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if self._value > self.limit.low:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return flags


def field_box(name: str, tip: str, step: int | float = 1, what: str | None = None,
              fractions: bool = False) -> NumberBox:
    """The field for LIMITS[name]: the window takes what the command line and setup files take."""
    limit = LIMITS[name]
    box = NumberBox(limit, tip, what=what, step=step, grouped="seed" not in name, fractions=fractions)
    if "seed" in name:
        # its size hint would fit 2**64 in digits; take the width the panel has instead
        box.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        box.setMinimumWidth(90)
    return box
