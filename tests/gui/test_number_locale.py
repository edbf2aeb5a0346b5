"""Number fields under any locale (issue 19, items 3 and 16): the locale's decimal separator
and '.' both mean a decimal point, whole numbers show grouped by spaces (never "1,000", which
reads as 1.0 in German), and nothing typed is dropped: what cannot be taken is refused, as typed."""
from __future__ import annotations

import pytest
from fault_helpers import type_into
from PySide6.QtCore import QLocale

from core.config import LIMITS
from gui.panels.widgets import field_box

GERMAN = QLocale(QLocale.Language.German, QLocale.Country.Germany)
ENGLISH = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)


def box_for(qtbot, name: str, locale: QLocale, **kwargs):
    box = field_box(name, "", **kwargs)
    box.setLocale(locale)
    qtbot.addWidget(box)
    refusals = []
    box.refused.connect(refusals.append)
    return box, refusals


@pytest.mark.parametrize(("typed", "value"), [("0,05", 0.05), ("0,001", 0.001), ("1,5e-3", 1.5e-3),
                                              ("0.05", 0.05)])
def test_a_decimal_comma_is_a_decimal_point_in_german(qtbot, typed, value):
    box, refusals = box_for(qtbot, "lr", GERMAN)
    type_into(qtbot, box, typed)
    assert box.value() == value and not refusals


def test_a_gain_takes_a_decimal_comma_too(qtbot):
    box, refusals = box_for(qtbot, "w1_gain", GERMAN, fractions=True)
    type_into(qtbot, box, "1,5")
    assert box.value() == 1.5 and not refusals


@pytest.mark.parametrize("typed", ["0,05", "1,000.5"])
def test_a_comma_where_it_is_not_a_decimal_point_is_refused_not_dropped(qtbot, typed):
    box, refusals = box_for(qtbot, "lr", ENGLISH)
    box.setValue(0.1)
    type_into(qtbot, box, typed)
    assert box.value() == 0.1            # not 5.0: the comma was not swallowed
    assert len(refusals) == 1 and refusals[0].startswith(f"{typed} is not a valid learning rate")


@pytest.mark.parametrize("locale", [GERMAN, ENGLISH], ids=["de", "en"])
def test_whole_numbers_show_without_a_comma_or_point(qtbot, locale):
    box, _ = box_for(qtbot, "max_steps", locale)
    box.setValue(100_000)
    assert box.text() == "100 000"
    type_into(qtbot, box, box.text())          # and what it shows reads back as itself
    assert box.value() == 100_000
    type_into(qtbot, box, "250 000")
    assert box.value() == 250_000


def test_a_comma_in_a_whole_number_under_german_is_refused(qtbot):
    box, refusals = box_for(qtbot, "max_steps", GERMAN)
    box.setValue(5000)
    type_into(qtbot, box, "1,000")          # 1.0 to a German reader: not silently 1000
    assert box.value() == 5000 and refusals and refusals[0].startswith("1,000 is not a valid")


@pytest.mark.parametrize("typed", ["1e9", "1.5", "3,2"])
def test_a_whole_number_field_reports_what_was_typed(qtbot, typed):
    box, refusals = box_for(qtbot, "max_steps", ENGLISH)
    box.setValue(5000)
    type_into(qtbot, box, typed)
    assert box.value() == 5000
    assert len(refusals) == 1 and refusals[0].startswith(f"{typed} is not a valid number of steps")


def test_grouping_with_commas_still_works_where_comma_groups(qtbot):
    box, refusals = box_for(qtbot, "max_steps", ENGLISH)
    type_into(qtbot, box, "200,000")
    assert box.value() == 200_000 and not refusals


def test_a_limit_message_shows_the_number_unrounded():
    message = LIMITS["lr"].problem(1000.0000000000001)
    assert "got 1,000.0000000000001" in message
    assert "got 1,000)" not in message


@pytest.mark.parametrize("typed", ["3,2", "1,0", "1,00", "12,3456"])
def test_a_comma_inside_a_whole_number_is_refused_not_removed(typed):
    with pytest.raises(ValueError):
        LIMITS["batch_size"].parse(typed)
    assert LIMITS["batch_size"].parse("1,000") == 1000
