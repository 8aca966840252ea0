"""Working days of Indonesian government offices, with real 2026 holidays."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from engine import ScriptError, WorkCalendar
from engine.script_helpers import make_helpers
from engine.workdays import ExtraHoliday
from tests.engine.conftest import WIB, WITA

calendar = WorkCalendar()
helpers = make_helpers(calendar)


def test_a_complaint_received_tuesday_17_march_2026_is_due_at_the_end_of_25_march():
    """18 March cuti bersama Nyepi, 19 Nyepi, 20 cuti Idul Fitri, 21-22 weekend/Idul Fitri, 23-24 cuti bersama."""
    assert calendar.add_working_days(date(2026, 3, 17), 1) == date(2026, 3, 25)
    assert helpers["end_of_office_day"](helpers["add_working_days"]("2026-03-17T09:00:00+07:00", 1)) == (
        "2026-03-25T16:00:00+07:00"
    )


def test_five_working_days_from_friday_skip_the_weekend():
    assert calendar.add_working_days(date(2026, 7, 3), 5) == date(2026, 7, 10)


def test_five_working_days_across_ascension_day_and_its_joint_holiday():
    """Thursday 14 and Friday 15 May 2026 are Ascension Day and its cuti bersama."""
    assert calendar.add_working_days(date(2026, 5, 8), 5) == date(2026, 5, 19)


def test_christmas_joint_holiday_and_christmas_day_are_not_working_days():
    assert not calendar.is_working_day(date(2026, 12, 24))
    assert not calendar.is_working_day(date(2026, 12, 25))
    assert calendar.add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 28)


def test_a_moment_is_counted_from_its_local_office_day():
    """23:30 UTC on 16 March is already Tuesday 17 March in Jakarta."""
    assert helpers["add_working_days"]("2026-03-16T23:30:00+00:00", 1, "Asia/Jakarta") == "2026-03-25"


def test_deadlines_carry_the_office_zone():
    assert calendar.end_of_office_day(date(2026, 6, 2), "Asia/Makassar") == datetime(2026, 6, 2, 16, 0, tzinfo=WITA)
    assert helpers["end_of_office_day"]("2026-06-02", "+08:00") == "2026-06-02T16:00:00+08:00"
    assert calendar.end_of_office_day(date(2026, 6, 2)) == datetime(2026, 6, 2, 16, 0, tzinfo=WIB)


def test_local_extra_holidays_apply_only_inside_their_region():
    local = WorkCalendar([ExtraHoliday(date(2026, 11, 18), "Hari Jadi Karanganyar", "33.13")])
    assert not local.is_working_day(date(2026, 11, 18), "33.13.05")
    assert local.is_working_day(date(2026, 11, 18), "63.10")
    assert local.add_working_days(date(2026, 11, 17), 1, "33.13") == date(2026, 11, 19)


def test_local_extra_holidays_are_read_from_a_data_file(tmp_path):
    path = tmp_path / "hari_libur.json"
    path.write_text('[{"tanggal": "2026-04-08", "nama": "Hari Jadi Tanah Bumbu", "wilayah": "63.10"}]')
    assert not WorkCalendar.from_file(path).is_working_day(date(2026, 4, 8), "63.10")


def test_working_days_between_counts_the_days_after_the_first():
    assert calendar.working_days_between(date(2026, 3, 17), date(2026, 3, 25)) == 1
    assert calendar.working_days_between(date(2026, 3, 25), date(2026, 3, 17)) == -1
    assert helpers["working_days_between"]("2026-05-08", "2026-05-19") == 5


def test_zero_working_days_is_the_same_day_or_the_next_working_one():
    assert calendar.add_working_days(date(2026, 3, 17), 0) == date(2026, 3, 17)
    assert calendar.add_working_days(date(2026, 3, 18), 0) == date(2026, 3, 25)


def test_on_time_compares_moments_across_zones(clock):
    assert helpers["on_time"]("2026-03-25T16:00:00+07:00", "2026-03-25T17:00:00+08:00")
    assert not helpers["on_time"]("2026-03-25T16:00:00+07:00", "2026-03-25T09:01:00+00:00")
    assert helpers["on_time"]("2026-03-17T09:00:00+07:00")  # the clock is at that moment


def test_six_months_later_is_the_end_of_that_office_day():
    assert helpers["add_months"]("2026-01-31", 6) == "2026-07-31T16:00:00+07:00"
    assert helpers["add_months"]("2026-08-31", 6) == "2027-02-28T16:00:00+07:00"


def test_a_due_date_on_a_weekend_or_holiday_moves_to_the_end_of_the_next_working_day():
    assert helpers["on_working_day"]("2026-07-18") == "2026-07-20T16:00:00+07:00"  # Saturday -> Monday
    assert helpers["on_working_day"]("2026-07-14T09:00:00+07:00") == "2026-07-14T16:00:00+07:00"  # a Tuesday
    assert helpers["on_working_day"]("2026-03-19") == "2026-03-25T16:00:00+07:00"  # Nyepi, Idul Fitri, cuti bersama


def test_diagram_scripts_read_a_named_data_file_beside_the_diagrams_by_its_keys(tmp_path):
    (tmp_path / "kalender_forum.json").write_text(json.dumps({"2027": {"kecamatan": {"batas": "2026-02-28"}}}))
    lookup = make_helpers(calendar, tmp_path)["data_lookup"]
    assert lookup("kalender_forum", 2027, "kecamatan", "batas") == "2026-02-28"
    assert lookup("kalender_forum", "2027") == {"kecamatan": {"batas": "2026-02-28"}}
    assert lookup("kalender_forum", "2099", "kecamatan") is None  # a year not in the file
    assert lookup("tidak_ada") is None
    with pytest.raises(ScriptError):
        lookup("../rahasia")  # only a plain name beside the diagrams
