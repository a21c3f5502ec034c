"""The verification report is read by people: categories in words, not stored codes."""

from __future__ import annotations

from core.worksheet.pdfsign import VerificationReport


def test_the_report_names_categories_in_words() -> None:
    report = VerificationReport(category="pending_confirmation", rule="SITC-2020 Table 1 primary")
    report.add("integrity", True, "the signed bytes are unchanged")
    text = report.describe()
    assert "Printed result: Pending confirmation (SITC-2020 Table 1 primary)" in text
    assert "pending_confirmation" not in text


def test_a_changed_classification_is_in_words_too() -> None:
    report = VerificationReport(category="pending_confirmation", category_today="primary_resistance")
    report.add("integrity", True, "the signed bytes are unchanged")
    assert "signed as Pending confirmation; today's rules give Primary resistance" in report.verdict
    assert "_" not in report.verdict


def test_an_unknown_code_is_shown_as_it_is() -> None:
    report = VerificationReport(category="from_a_newer_version")
    report.add("integrity", True, "ok")
    assert "Printed result: from_a_newer_version" in report.describe()
