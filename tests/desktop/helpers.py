"""Shared steps of the desktop tests."""

from __future__ import annotations

from typing import Any


def fill_custodian(dialog: Any, passphrase: str) -> None:
    """Fill the first-run dialog's CA custodian: another person, own password, the passphrase."""
    dialog.custodian.setText("pia")
    dialog.custodian_name.setText("Dr. Pia Principal")
    dialog.custodian_password.setText("pia-own-password-3")
    dialog.custodian_repeat.setText("pia-own-password-3")
    dialog.ca_passphrase.setText(passphrase)
    dialog.ca_repeat.setText(passphrase)


class Questions:
    """QMessageBox.question answered by the test: ``asked`` holds each text, ``answer`` is given."""

    def __init__(self, monkeypatch: Any, answer: Any) -> None:
        from PySide6.QtWidgets import QMessageBox

        self.asked: list[str] = []
        self.answer = answer

        def question(_parent: object, _title: str, text: str, *_args: object) -> Any:
            self.asked.append(text)
            return self.answer

        monkeypatch.setattr(QMessageBox, "question", question)
