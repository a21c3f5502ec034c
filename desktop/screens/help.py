"""Help: the rules, the interpretations, and every caveat, from resources/."""

from __future__ import annotations

from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from core.paths import resource
from core.rules import CAVEAT_HELP, PARAMETER_HELP


def help_markdown() -> str:
    howto = resource("help", "howto.md").read_text(encoding="utf-8")
    text = howto + "\n\n" + resource("help", "rules.md").read_text(encoding="utf-8")
    caveats = "\n".join(f"- **{code.value}**: {explanation}" for code, explanation in CAVEAT_HELP.items())
    params = "\n".join(f"- `{name}`: {explanation}" for name, explanation in PARAMETER_HELP.items())
    return f"{text}\n\n## Caveats\n{caveats}\n\n## Parameter reference\n{params}\n"


class HelpScreen(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = QTextBrowser()
        self.browser.setMarkdown(help_markdown())
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
