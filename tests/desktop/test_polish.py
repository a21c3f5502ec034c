"""GUI walkthrough polish: human words instead of internal codes, roster column widths."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.store.users import Role
from desktop.screens import users as users_module
from tests.desktop.conftest import Desk


def test_role_combos_show_words_and_keep_codes_as_data(
    qtbot: QtBot, demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = demo_desk.window
    w.show_users()
    screen = w.users_screen
    dialogs: list[users_module.NewUserDialog] = []
    monkeypatch.setattr(users_module.NewUserDialog, "open", lambda self: dialogs.append(self))
    screen.add_user()
    for combo in (dialogs[0].role, screen.role):
        texts = [combo.itemText(i) for i in range(combo.count())]
        codes = [combo.itemData(i) for i in range(combo.count())]
        assert codes == [r.value for r in Role]
        assert {"Investigator", "Coordinator", "Administrator"} <= set(texts)
        assert all(t[:1].isupper() and "_" not in t for t in texts)
    # the user is created with the code, not the label
    d = dialogs[0]
    d.username.setText("nurse2")
    d.full_name.setText("Nora Nurse")
    d.role.setCurrentIndex(d.role.findData("investigator"))
    d.password.setText("nurse-password")
    d.repeat.setText("nurse-password")
    d.buttons.accepted.emit()
    qtbot.waitUntil(lambda: screen.model.rowCount() == 4, timeout=10000)
    assert "(Administrator)" in w.status_user.text()  # the status bar too
    role_col = [screen.model.headerData(c, Qt.Orientation.Horizontal) for c in range(7)].index("Role")
    assert {screen.model.data(screen.model.index(r, role_col)) for r in range(4)} >= {"Investigator"}
    roles = {screen.model.row_at(r).username: screen.model.row_at(r).role for r in range(4)}
    assert roles["nurse2"] == "investigator"


def test_audit_screen_shows_actions_in_words(qtbot: QtBot, demo_desk: Desk) -> None:
    import re

    w = demo_desk.window
    w.show_audit()
    screen = w.audit_screen
    qtbot.waitUntil(lambda: screen.model.rowCount() > 0, timeout=10000)
    column = [
        screen.model.headerData(c, Qt.Orientation.Horizontal) for c in range(screen.model.columnCount())
    ]
    action_col = column.index("Action")
    change_col = column.index("Change")
    actions = {screen.model.data(screen.model.index(r, action_col)) for r in range(screen.model.rowCount())}
    codes = {screen.model.row_at(r).action for r in range(screen.model.rowCount())}
    assert "insert" in codes  # the demo's rows are there, as codes underneath
    snake = re.compile(r"\b[a-z]+_[a-z_]+\b")
    assert not [a for a in actions if snake.search(str(a)) or str(a) in codes], actions
    changes = [
        str(screen.model.data(screen.model.index(r, change_col))) for r in range(screen.model.rowCount())
    ]

    # coded values in the changes are words too (the demo has each of these)
    joined = "\n".join(changes)
    for code in (
        "non_target",
        "ici_chemotherapy",
        "unequivocal_progression",
        "maximal_benefit",
        "primary_resistance",
    ):
        assert code not in joined, [c for c in changes if code in c][:3]
    assert "Kind = non-target" in joined
    assert "ICI + chemotherapy" in joined


@pytest.mark.parametrize("width", [1920, 1366])
def test_roster_gives_spare_width_to_tumor_type_and_agent(qtbot: QtBot, demo_desk: Desk, width: int) -> None:
    from desktop.screens.roster import BASE_WIDTHS, HEADERS

    w = demo_desk.window
    w.resize(width, 1000 if width == 1920 else 700)
    w.show()
    w.show_roster()
    table = w.roster_screen.table
    qtbot.waitUntil(lambda: table.isVisible() and w.roster_screen.model.rowCount() > 0, timeout=10000)
    qtbot.wait(50)
    header = table.horizontalHeader()
    last = len(HEADERS) - 1
    tumor, agent = HEADERS.index("Tumor type"), HEADERS.index("Agent")
    assert not header.stretchLastSection()
    if width == 1920:
        assert header.sectionSize(tumor) > header.sectionSize(last)
        assert header.sectionSize(agent) > header.sectionSize(last)
        # no column is narrower than it started, and every cut one got some of the spare width
        for col in range(len(HEADERS)):
            if not header.isSectionHidden(col):
                assert header.sectionSize(col) >= BASE_WIDTHS[col], HEADERS[col]
        # the fitting itself never adds a horizontal scroll bar
        used = sum(header.sectionSize(c) for c in range(len(HEADERS)) if not header.isSectionHidden(c))
        assert used <= table.viewport().width()


def _roster_at(qtbot: QtBot, desk: Desk, width: int, height: int) -> object:
    w = desk.window
    w.resize(width, height)
    w.show()
    w.show_roster()
    table = w.roster_screen.table
    qtbot.waitUntil(lambda: table.isVisible() and w.roster_screen.model.rowCount() == 40, timeout=10000)
    qtbot.waitUntil(lambda: table.viewport().width() > width - 400, timeout=5000)
    qtbot.wait(50)
    return table


def _needs(table: object, row: int, col: int) -> int:
    """The width a cell needs to be shown whole, measured as it is painted: the text and the
    cell's margins; a category badge in bold with its padding."""
    from PySide6.QtGui import QFont, QFontMetrics

    from desktop.screens.roster import COL_CATEGORY
    from desktop.widgets.badge import PAD

    index = table.model().index(row, col)  # type: ignore[attr-defined]
    plain = table.sizeHintForIndex(index).width() + 1  # type: ignore[attr-defined]  # + the grid line
    if col != COL_CATEGORY:
        return plain
    bold = QFont(table.font())  # type: ignore[attr-defined]
    bold.setBold(True)
    return int(QFontMetrics(bold).horizontalAdvance(str(index.data())) + 2 * PAD + 6) + 1


def test_roster_at_1920_cuts_nothing_it_has_room_for(qtbot: QtBot, demo_desk: Desk) -> None:
    """At 1920x1080 the demo's longest values of every short column are whole (the category
    badge, the confirmation, the next due date and what is due, the titles); an empty
    "Changed by rules" column takes no room; what is left goes to Tumor type and Agent, split
    so that the fewest rows are cut, and a cut cell is whole in its tooltip."""
    from PySide6.QtWidgets import QStyle

    from desktop.screens.roster import COL_AGENT, COL_CHANGED, COL_TUMOR, HEADERS

    table = _roster_at(qtbot, demo_desk, 1920, 1040)
    header, model = table.horizontalHeader(), table.model()
    assert header.isSectionHidden(COL_CHANGED)  # no subject is marked in the demo
    assert not demo_desk.window.roster_screen.changed_only.isVisible()
    shown = [c for c in range(len(HEADERS)) if not header.isSectionHidden(c)]
    margin = header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    for col in shown:
        title = header.fontMetrics().horizontalAdvance(HEADERS[col]) + 2 * margin
        assert title <= header.sectionSize(col), ("title cut", HEADERS[col])
    cut: dict[int, list[int]] = {COL_TUMOR: [], COL_AGENT: []}
    for col in shown:
        for row in range(model.rowCount()):
            whole = _needs(table, row, col) <= header.sectionSize(col)
            if col in cut and not whole:
                cut[col].append(row)
                index = model.index(row, col)
                assert index.data(Qt.ItemDataRole.ToolTipRole) == index.data(), (HEADERS[col], row)
            else:
                assert whole, (HEADERS[col], model.index(row, col).data(), header.sectionSize(col))
    used = sum(header.sectionSize(c) for c in shown)
    assert used <= table.viewport().width()
    if cut[COL_TUMOR] or cut[COL_AGENT]:  # then no room is left unused
        assert table.viewport().width() - used < len(shown)
        room = header.sectionSize(COL_TUMOR) + header.sectionSize(COL_AGENT)
        tumor = [_needs(table, r, COL_TUMOR) for r in range(model.rowCount())]
        agent = [_needs(table, r, COL_AGENT) for r in range(model.rowCount())]
        fewest = min(
            sum(n > t for n in tumor) + sum(n > room - t for n in agent) for t in range(60, room - 59)
        )
        best = [
            t
            for t in range(60, room - 59)
            if sum(n > t for n in tumor) + sum(n > room - t for n in agent) == fewest
        ]
        assert len(cut[COL_TUMOR]) + len(cut[COL_AGENT]) == fewest, (
            room,
            best[:3],
            best[-3:],
            header.sectionSize(COL_TUMOR),
            sorted(set(tumor)),
            sorted(set(agent)),
        )
        assert fewest <= 10  # of 40: most rows are whole


def test_roster_at_1366_cuts_with_the_whole_value_in_the_tooltip(qtbot: QtBot, demo_desk: Desk) -> None:
    from desktop.screens.roster import COL_AGENT, COL_CONFIRM, COL_DUE, COL_TUMOR

    table = _roster_at(qtbot, demo_desk, 1366, 740)
    header, model = table.horizontalHeader(), table.model()
    seen = set()
    for col in (COL_TUMOR, COL_AGENT, COL_CONFIRM, COL_DUE):
        for row in range(model.rowCount()):
            index = model.index(row, col)
            if _needs(table, row, col) > header.sectionSize(col):
                seen.add(col)
                tip = str(index.data(Qt.ItemDataRole.ToolTipRole))
                if col in (COL_TUMOR, COL_AGENT):
                    assert tip == index.data()
                else:  # the cell's words, and more ("Confirmatory scan: pending (overdue)")
                    assert all(w.lower().strip(":") in tip.lower() for w in str(index.data()).split()[:1])
                    assert len(tip) >= len(str(index.data())), (tip, index.data())
    assert seen  # at 1366 px some are cut


@pytest.mark.parametrize("width", [1920, 1366])
def test_audit_change_column_takes_the_spare_width_and_cut_cells_have_tooltips(
    qtbot: QtBot, demo_desk: Desk, width: int
) -> None:
    w = demo_desk.window
    w.resize(width, 1040 if width == 1920 else 740)
    w.show()
    w.show_audit()
    screen = w.audit_screen
    view, model = screen.view, screen.model
    qtbot.waitUntil(lambda: view.isVisible() and model.rowCount() > 0, timeout=10000)
    qtbot.waitUntil(lambda: view.viewport().width() > width - 400, timeout=5000)
    qtbot.wait(50)
    header = view.horizontalHeader()
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    change, reason = titles.index("Change"), titles.index("Reason")
    used = sum(header.sectionSize(c) for c in range(model.columnCount()))
    assert used <= view.viewport().width()  # every column in view, at 1366 px too
    if width == 1920:  # Change, the longest text, gets the room
        assert header.sectionSize(change) > 2 * header.sectionSize(reason)
        assert view.viewport().width() - used <= 2  # and no room is left unused
    for row in range(model.rowCount()):  # every cell cut or not: its whole text in the tooltip
        for col in (change, reason, titles.index("Action")):
            index = model.index(row, col)
            if index.data():
                assert index.data(Qt.ItemDataRole.ToolTipRole) == index.data()


@pytest.fixture
def dark_palette(qapp: object) -> object:
    """The application in the dark palette `make screenshots-check` uses, restored after."""
    from PySide6.QtWidgets import QApplication

    from desktop.screenshots import _dark

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before, style = app.palette(), app.style().name()
    _dark(app)
    yield app
    app.setStyle(style)
    app.setPalette(before)


def _sheet_colour(sheet: str) -> object:
    import re

    from PySide6.QtGui import QColor

    m = re.search(r"(?<![-\w])color:\s*([#\w]+)", sheet)
    assert m, sheet
    return QColor(m.group(1))


def test_coloured_text_reads_on_a_dark_palette(qtbot: QtBot, dark_palette: object, demo_desk: Desk) -> None:
    """Reds, ambers, blues and greys chosen on white keep 4.5:1 on a dark palette (the
    reminders' note was #555 on #2b2b2b, 1.9:1; the overdue red 2.6:1)."""
    from PySide6.QtGui import QColor, QPalette

    from desktop.screens.roster import COL_DUE
    from desktop.style import contrast
    from desktop.widgets.forms import ErrorLabel

    w = demo_desk.window
    window_bg = w.palette().color(QPalette.ColorRole.Window)
    base_bg = w.palette().color(QPalette.ColorRole.Base)
    assert window_bg.lightness() < 80  # the palette is dark indeed
    w.show_reminders()
    note = w.reminders_screen.no_confirmation
    assert note.text()
    assert contrast(_sheet_colour(note.styleSheet()), window_bg) >= 4.5
    colours = set()
    for model in (w.reminders_screen.confirmations, w.roster_screen.model):
        for row in range(model.rowCount()):
            col = COL_DUE if model is w.roster_screen.model else 0
            tint = model.data(model.index(row, col), Qt.ItemDataRole.ForegroundRole)
            if isinstance(tint, QColor):
                colours.add(tint.name())
                assert contrast(tint, base_bg) >= 4.5, tint.name()
    assert len(colours) >= 2  # overdue and due now, at least
    assert contrast(_sheet_colour(ErrorLabel().styleSheet()), window_bg) >= 4.5


def test_coloured_text_keeps_its_colour_where_it_reads(demo_desk: Desk) -> None:
    from PySide6.QtGui import QColor

    from desktop.screens.roster import COL_DUE
    from desktop.style import URGENCY_COLOURS

    model = demo_desk.window.roster_screen.model
    tints = [
        model.data(model.index(r, COL_DUE), Qt.ItemDataRole.ForegroundRole) for r in range(model.rowCount())
    ]
    names = {t.name() for t in tints if isinstance(t, QColor)}
    assert URGENCY_COLOURS["overdue"] in names  # the red on white as designed (5.4:1)


@pytest.mark.parametrize("dark", [False, True])
def test_visit_responses_read_as_text(qtbot: QtBot, request: pytest.FixtureRequest, dark: bool) -> None:
    """The governing response is coloured by its response, and still reads (PR's light green
    #52be80 was 2.3:1 on white)."""
    from PySide6.QtGui import QColor, QPalette

    from desktop.style import contrast

    if dark:
        request.getfixturevalue("dark_palette")
    desk = request.getfixturevalue("demo_desk")
    w = desk.window
    base = w.palette().color(QPalette.ColorRole.Base)
    seen = set()
    for code in ("NSCLC-028", "MEL-002", "MEL-029"):
        assert w.roster_screen.select_subject(code)
        w.open_subject(w.roster_screen.current_subject_pk() or 0)
        model = w.subject_screen.visits
        for row in range(model.rowCount()):
            tint = model.data(model.index(row, 4), Qt.ItemDataRole.ForegroundRole)
            if isinstance(tint, QColor):
                seen.add(model.data(model.index(row, 4)))
                assert contrast(tint, base) >= 4.5, (code, model.data(model.index(row, 4)), tint.name())
    assert {"PR", "SD", "PD"} <= seen


def test_worksheets_at_1366_show_who_signed_without_scrolling(qtbot: QtBot, demo_desk: Desk) -> None:
    w = demo_desk.window
    w.resize(1366, 740)
    w.show()
    w.show_worksheets()
    view = w.worksheets_screen.view
    qtbot.waitUntil(lambda: view.isVisible() and view.viewport().width() > 900, timeout=5000)
    qtbot.wait(50)
    header, model = view.horizontalHeader(), view.model()
    last = model.columnCount() - 1
    assert model.headerData(last, Qt.Orientation.Horizontal) == "Signed by (UTC)"
    used = sum(header.sectionSize(c) for c in range(model.columnCount()))
    assert used <= view.viewport().width()  # no sideways scrolling
    signed = "Dr. Ines Investigator, 2026-12-01 16:39"  # the demo investigator, as shown
    assert header.sectionSize(last) >= view.fontMetrics().horizontalAdvance(signed) + 8


def test_a_date_before_the_reference_counts_days_without_a_minus(qtbot: QtBot) -> None:
    """The baseline scan six days before the first dose said "-6 days before the first dose"."""
    import datetime as dt

    from desktop.widgets.forms import DateEdit

    edit = DateEdit(dt.date(2026, 5, 29))
    qtbot.addWidget(edit)
    edit.set_reference(dt.date(2026, 6, 4))
    assert edit.hint.text().endswith("6 days before the first dose")
    assert "-" not in edit.hint.text()
    edit.set_reference(dt.date(2026, 5, 28))
    assert edit.hint.text().endswith("1 day after the first dose")


def _ink(widget: object) -> int:
    """How many pixels of a widget differ from its background (text drawn on it)."""
    from PySide6.QtGui import QPalette

    image = widget.grab().toImage()  # type: ignore[attr-defined]
    base = widget.palette().color(QPalette.ColorRole.Base).rgb()  # type: ignore[attr-defined]
    return sum(
        1
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
        if image.pixel(x, y) != base
    )


def test_an_empty_table_says_why(qtbot: QtBot, demo_desk: Desk) -> None:
    """The demo has no worksheet: the Worksheets screen was a blank white pane."""
    w = demo_desk.window
    w.resize(1366, 740)
    w.show_worksheets()
    view = w.worksheets_screen.view
    qtbot.waitUntil(lambda: view.isVisible(), timeout=5000)
    assert view.model().rowCount() == 0
    assert "Prepare worksheet" in getattr(view, "placeholder", "")
    assert _ink(view.viewport()) > 50  # the words are drawn
    w.show_audit()
    screen = w.audit_screen
    screen.subject.setText("NO-SUCH-SUBJECT")
    screen.first_page()
    qtbot.waitUntil(lambda: screen.model.rowCount() == 0 and screen.view.isVisible(), timeout=5000)
    assert _ink(screen.view.viewport()) > 50
    screen.subject.setText("")
    screen.first_page()
    qtbot.waitUntil(lambda: screen.model.rowCount() > 0, timeout=5000)
    w.show_reminders()
    reminders = w.reminders_screen
    reminders.days.setValue(1)
    if reminders.thresholds.rowCount() == 0:
        assert reminders.threshold_view.placeholder == "No threshold date in the next 1 day."


def test_the_selected_navigation_icon_reads_on_the_highlight(demo_desk: Desk) -> None:
    """The grey icon of the selected screen was lost on the blue selection (1.3:1)."""
    from PySide6.QtGui import QColor, QIcon, QPalette

    from desktop.style import contrast

    nav = demo_desk.window.nav
    highlight = nav.palette().color(QPalette.ColorRole.Highlight)
    for row in range(nav.count()):
        image = nav.item(row).icon().pixmap(22, QIcon.Mode.Selected).toImage()
        strokes = [
            QColor(image.pixel(x, y))
            for y in range(image.height())
            for x in range(image.width())
            if QColor.fromRgba(image.pixel(x, y)).alpha() == 255
        ]
        assert strokes, nav.item(row).text()
        assert min(contrast(c, highlight) for c in strokes) >= 3, nav.item(row).text()  # WCAG non-text


def test_the_lesion_grid_of_a_visit_is_headed_lesion(demo_desk: Desk) -> None:
    """Its rows are targets, non-targets and new lesions: the title "Target" was wrong for two."""
    from PySide6.QtWidgets import QLabel

    w = demo_desk.window
    assert w.roster_screen.select_subject("NSCLC-028")
    w.open_subject(w.roster_screen.current_subject_pk() or 0)
    dialog = w.flows.add_visit(w.subject_screen.subject_pk or 0)
    titles = [label.text() for label in dialog.findChildren(QLabel)]
    assert "<b>Lesion</b>" in titles
    assert "<b>Target</b>" not in titles
    assert any("(non-target)" in t for t in titles)  # a non-target row is in that grid
    dialog.done(0)


def test_roster_columns_keep_their_widths_through_filters(qtbot: QtBot, demo_desk: Desk) -> None:
    """The columns were fitted to the rows a filter showed when the scroll bar came or went:
    after "Pending confirmation", the SITC 2023 filter cut every "Next due" (6 months from fir…)."""
    from desktop.screens.roster import COL_AGENT, COL_TUMOR, HEADERS

    table = _roster_at(qtbot, demo_desk, 1920, 1040)
    screen = demo_desk.window.roster_screen
    header, model = table.horizontalHeader(), table.model()
    fixed = [
        c for c in range(len(HEADERS)) if c not in (COL_TUMOR, COL_AGENT) and not header.isSectionHidden(c)
    ]
    before = {c: header.sectionSize(c) for c in fixed}
    screen.category.setCurrentIndex(2)  # pending confirmation: 8 rows, no scroll bar
    qtbot.wait(50)
    screen.category.setCurrentIndex(0)
    screen.ruleset.setCurrentIndex(2)  # SITC 2023 ICI-chemo
    qtbot.waitUntil(lambda: model.rowCount() == 8, timeout=5000)
    qtbot.wait(50)
    assert {c: header.sectionSize(c) for c in fixed} == before
    for col in fixed:
        for row in range(model.rowCount()):
            assert _needs(table, row, col) <= header.sectionSize(col), (
                HEADERS[col],
                model.index(row, col).data(),
            )
