"""The roster: every subject with its classification and what is due.

``RosterModel`` is a thin adapter over ``core.roster.RosterRow`` values. It
filters and sorts itself over keys precomputed once per load: a
``QSortFilterProxyModel`` would call back into Python for every row on
every keystroke (10,000 calls), where one list comprehension does here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Sequence

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSettings,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from core.presentation import (
    category_label,
    confirmation_text,
    response_text,
    ruleset_citation,
    ruleset_label,
    ruleset_short,
)
from core.roster import RosterRow
from core.rules import CATEGORY_LABELS, Category
from core.rules.ici_chemo_ruleset import ICI_CHEMO_NAME
from core.rules.parameters import RULESET_NAME, RULESET_VERSION
from core.store.categories import CategoryChange
from desktop.screens.simple_table import TableView
from desktop.style import URGENCY_COLOURS, category_colour, readable
from desktop.widgets.badge import BADGE_COLOUR_ROLE, BadgeDelegate
from desktop.widgets.badge import PAD as BADGE_PAD

Index = QModelIndex | QPersistentModelIndex

(
    COL_SUBJECT,
    COL_TUMOR,
    COL_SETTING,
    COL_AGENT,
    COL_FIRST,
    COL_RESPONSE,
    COL_CATEGORY,
    COL_RULESET,
    COL_CONFIRM,
    COL_DUE,
    COL_CHANGED,
) = range(11)
CHANGED_HEADER = f"Changed by rules v{RULESET_VERSION}"
HEADERS = ("Subject", "Tumor type", "Setting", "Agent", "First dose", "Latest response", "Classification",
           "Rule set", "Confirmation", "Next due", CHANGED_HEADER)  # fmt: skip
SUBJECT_PK_ROLE = Qt.ItemDataRole.UserRole + 1
COL_TUMOR, COL_AGENT = HEADERS.index("Tumor type"), HEADERS.index("Agent")
BASE_WIDTHS = (78, 165, 82, 115, 78, 101, 225, 132, 150, 100, 130)  # the first few: their text's width
FIT_CAP = 360  # px: a column widened to show its text grows no wider than this

# Category filter choices: (label, categories matched; empty means all)
FILTERS: tuple[tuple[str, frozenset[Category]], ...] = (
    ("All categories", frozenset()),
    (
        "Resistant (primary or secondary)",
        frozenset({Category.PRIMARY_RESISTANCE, Category.SECONDARY_RESISTANCE}),
    ),
    ("Pending confirmation", frozenset({Category.PENDING_CONFIRMATION})),
    *((CATEGORY_LABELS[c], frozenset({c})) for c in Category if c is not Category.PENDING_CONFIRMATION),
)


# Rule-set filter choices: (label, rule set name; empty means all)
RULESET_FILTERS: tuple[tuple[str, str], ...] = (
    ("All rule sets", ""),
    ("SITC 2020 (monotherapy)", RULESET_NAME),
    ("SITC 2023 ICI-chemo", ICI_CHEMO_NAME),
)


def _category_text(row: RosterRow) -> str:
    if row.result.provisional_category:
        return f"Pending → {CATEGORY_LABELS[row.result.provisional_category].lower()}"
    return category_label(row.result)


def _confirmation_long(row: RosterRow) -> str:
    """ "Confirmatory scan: pending (overdue)": the whole wording (the cell's tooltip)."""
    c = row.result.confirmation
    if c.status == "not_required":
        return "—"
    text = confirmation_text(c.required, c.status)
    return f"{text} ({c.due_status.replace('_', ' ')})" if c.status == "pending" and c.due_status else text


def _confirmation_text(row: RosterRow) -> str:
    """ "Scan: pending": the column is headed Confirmation, and when it is due is in Next due
    (coloured the same), so the cell says neither again and fits a 1920 px roster."""
    c = row.result.confirmation
    if c.status == "not_required":
        return "—"
    text = confirmation_text(c.required, c.status)
    text = text.split(" (")[0]  # "waived (clinical progression)": why is in the tooltip
    text = re.sub(r"^Confirmatory (\w)", lambda m: m.group(1).upper(), text)
    return text.replace("Scan and biopsy", "Scan + biopsy")  # as Next due says it


# What is due, as the roster's Next due cell says it: short, beside the Confirmation column that
# already says scan or biopsy; the whole wording is in the cell's tooltip. Short enough that the
# demo's longest tumor types and regimens are whole at 1920x1080 (the words took 60 px more).
_DUE_WORDS = (
    ("confirmatory ", ""),
    ("; biopsy result needed too", " + biopsy"),
    (" (window closed)", ""),
    ("scan due by", "scan due"),
    ("scan window opens", "window opens"),
    ("scan and biopsy result needed", "scan + biopsy due"),
    ("biopsy result needed", "biopsy due"),
    ("6 weeks of exposure reached", "6-week mark"),
    ("6 months from first dose", "6-month mark"),
    ("12 weeks after last dose", "12 weeks off treatment"),
)


def _due_text(row: RosterRow) -> str:
    """ "2026-11-20 scan overdue": the date and what is due, in the fewest words (see
    _DUE_WORDS); the tooltip has the whole "confirmatory scan overdue (window closed)"."""
    if row.next_due is None:
        return ""
    what = row.next_due.what
    for long, short in _DUE_WORDS:
        what = what.replace(long, short)
    return f"{row.next_due.date} {what}"


def _due_long(row: RosterRow) -> str:
    """ "Confirmatory scan due by 2026-12-07": the whole wording, with the date where the words
    want it, as the Reminders list says it (the cell's tooltip). It was "2026-12-07:
    confirmatory scan due by", which ends on "by" and leaves the reader to find the date."""
    if row.next_due is None:
        return ""
    what, day = row.next_due.what, row.next_due.date
    for words in ("due by", "window closed", "window opens"):
        if words in what:
            what = what.replace(words, f"{words} {day}", 1)
            break
    else:
        what = f"{what}: {day}"
    return what[:1].upper() + what[1:]


SORT_KEYS: dict[int, Callable[[RosterRow], object]] = {
    COL_SUBJECT: lambda r: r.subject_id,
    COL_TUMOR: lambda r: r.tumor_type.lower(),
    COL_SETTING: lambda r: r.setting,
    COL_AGENT: lambda r: r.agent.lower(),
    COL_FIRST: lambda r: r.first_dose,
    COL_RESPONSE: lambda r: r.latest_response,
    COL_CATEGORY: _category_text,
    COL_CONFIRM: _confirmation_text,
    COL_DUE: lambda r: r.next_due.date if r.next_due else dt.date.max,
    COL_RULESET: lambda r: r.result.ruleset.name,
    COL_CHANGED: lambda r: "",  # replaced per load by RosterModel (the marks live beside the rows)
}
"""What each column sorts by (ties: the subject id)."""


class RosterModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._all: list[RosterRow] = []
        self._keys: list[str] = []
        self._visible: list[int] = []
        self._text = ""
        self._categories: frozenset[Category] = frozenset()
        self._ruleset = ""
        self._changes: dict[int, CategoryChange] = {}
        self._changed_only = False
        self._sort: tuple[int, Qt.SortOrder] = (COL_SUBJECT, Qt.SortOrder.AscendingOrder)

    # -- data in --------------------------------------------------------
    def set_rows(self, rows: Sequence[RosterRow]) -> None:
        self.beginResetModel()
        self._all = list(rows)
        self._keys = [
            " ".join((r.subject_id, r.tumor_type, r.agent, r.setting, _category_text(r))).lower()
            for r in self._all
        ]
        self._visible = self._filtered()
        self._apply_sort()
        self.endResetModel()

    def set_changes(self, changes: dict[int, CategoryChange]) -> None:
        """Subjects whose category a rules upgrade changed (by subject primary key)."""
        self.beginResetModel()
        self._changes = dict(changes)
        self._visible = self._filtered()
        self._apply_sort()
        self.endResetModel()

    def change_of(self, row: RosterRow) -> CategoryChange | None:
        return self._changes.get(row.subject_pk)

    def set_filter(
        self,
        text: str,
        categories: frozenset[Category] = frozenset(),
        ruleset: str = "",
        changed_only: bool = False,
    ) -> None:
        """Show rows matching every word of ``text``, one of ``categories`` (all when
        empty), classified under the rule set named ``ruleset`` (all when empty), and,
        with ``changed_only``, marked as changed by the rules upgrade."""
        self.beginResetModel()
        self._text, self._categories, self._ruleset = text.strip().lower(), categories, ruleset
        self._changed_only = changed_only
        self._visible = self._filtered()
        self._apply_sort()
        self.endResetModel()

    def _filtered(self) -> list[int]:
        words, cats, ruleset = self._text.split(), self._categories, self._ruleset
        changed = self._changes if self._changed_only else None
        return [
            k
            for k, key in enumerate(self._keys)
            if all(w in key for w in words)
            and (not cats or self._all[k].category in cats)
            and (not ruleset or self._all[k].result.ruleset.name == ruleset)
            and (changed is None or self._all[k].subject_pk in changed)
        ]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._apply_sort()
        self.layoutChanged.emit()

    def _apply_sort(self) -> None:
        column, order = self._sort
        rows, value = self._all, SORT_KEYS[column]
        if column == COL_CHANGED:
            changes = self._changes

            def value(r: RosterRow) -> object:
                change = changes.get(r.subject_pk)
                return (change is None, change.short() if change else "")

        def key(k: int) -> tuple[object, ...]:
            r = rows[k]
            return (value(r), r.subject_id)

        self._visible.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)

    # -- data out -------------------------------------------------------
    def row_at(self, row: int) -> RosterRow:
        return self._all[self._visible[row]]

    def all_rows(self) -> list[RosterRow]:
        return list(self._all)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,  # the whole title when a narrow column cuts it
        ):
            return HEADERS[section]
        return None

    def display(self, r: RosterRow, col: int) -> str:
        """The text of ``r``'s cell in column ``col``."""
        if col == COL_SUBJECT:
            return r.subject_id
        if col == COL_TUMOR:
            return r.tumor_type
        if col == COL_SETTING:
            return r.setting
        if col == COL_AGENT:
            return r.agent
        if col == COL_FIRST:
            return r.first_dose.isoformat()
        if col == COL_RESPONSE:
            shown = response_text(r.latest_response) if r.latest_response != "—" else "—"
            return f"{shown} {r.latest_date}" if r.latest_date else shown  # "PD 2026-10-02"
        if col == COL_CATEGORY:
            return _category_text(r)
        if col == COL_RULESET:
            return ruleset_short(r.result.ruleset.name)
        if col == COL_CONFIRM:
            return _confirmation_text(r)
        if col == COL_DUE:
            return _due_text(r)
        if col == COL_CHANGED:
            change = self._changes.get(r.subject_pk)
            return change.short() if change else ""
        return ""

    def texts(self, col: int) -> Counter[str]:
        """Every text column ``col`` can show, over all rows whatever the filter, with how many
        rows show it; where only the widest matters, one row per kind of text (dates are as wide
        as each other): fast at 10,000 rows."""
        rows = self._all
        key: Callable[[RosterRow], object] | None = {
            COL_FIRST: lambda r: 0,
            COL_RESPONSE: lambda r: (r.latest_response, r.latest_date is None),
            COL_CATEGORY: lambda r: (r.category, r.result.provisional_category),
            COL_RULESET: lambda r: r.result.ruleset.name,
            COL_CONFIRM: lambda r: (r.result.confirmation.required, r.result.confirmation.status),
            COL_DUE: lambda r: r.next_due.what if r.next_due else None,
        }.get(col)
        if col in (COL_TUMOR, COL_AGENT, COL_SETTING):
            return Counter(self.display(r, col) for r in rows)
        if col == COL_SUBJECT:
            return Counter(sorted((r.subject_id for r in rows), key=len)[-20:])  # the longest ids
        if col == COL_CHANGED:
            return Counter(change.short() for change in self._changes.values())
        if key is None:
            return Counter()
        kinds: dict[object, RosterRow] = {}
        for r in rows:
            kinds.setdefault(key(r), r)
        return Counter(self.display(r, col) for r in kinds.values())

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        r = self.row_at(index.row())
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(r, col)
        if role == BADGE_COLOUR_ROLE and col == COL_CATEGORY:
            return category_colour(r.category)
        if role == Qt.ItemDataRole.ForegroundRole and col in (COL_DUE, COL_CONFIRM) and r.next_due:
            return (
                QColor(readable(URGENCY_COLOURS.get(r.next_due.urgency, "#000"), QPalette.ColorRole.Base))
                if r.next_due.urgency != "upcoming"
                else None
            )
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_CHANGED:
            change = self._changes.get(r.subject_pk)
            return change.describe().capitalize() if change else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if col in (COL_SUBJECT, COL_TUMOR, COL_SETTING, COL_AGENT):  # whole when the column cuts it
                return self.data(index, Qt.ItemDataRole.DisplayRole)
            if col == COL_CONFIRM:
                return _confirmation_long(r)
            if col == COL_DUE:
                return _due_long(r) if r.next_due else None
            if col == COL_RULESET:
                return f"{ruleset_label(r.result.ruleset)}: {ruleset_citation(r.result)}"
            return r.result.reason or (r.result.rule.value if r.result.rule else category_label(r.result))
        if role == SUBJECT_PK_ROLE:
            return r.subject_pk
        return None


class RosterScreen(QWidget):
    sig_open_subject = Signal(int)
    """Open a subject: (subject primary key)."""
    sig_add_subject = Signal()
    """The coordinator asked to add a subject."""
    sig_add_visit = Signal(int)
    """Record a visit for a subject: (subject primary key)."""
    sig_worksheet = Signal(int)
    """Prepare a subject's worksheet: (subject primary key)."""
    sig_print = Signal(int)
    """Print a subject's summary: (subject primary key)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RosterModel(self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search subject, tumor, agent…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.category = QComboBox()
        for label, _ in FILTERS:
            self.category.addItem(label)
        self.ruleset = QComboBox()
        self.ruleset.setToolTip("Which rule set classified the subject")
        for label, _ in RULESET_FILTERS:
            self.ruleset.addItem(label)
        self.changed_only = QCheckBox(f"{CHANGED_HEADER} only")
        self.changed_only.setToolTip(
            "Subjects whose category changed from what was last shown or signed when the "
            f"SITC-2020 version {RULESET_VERSION} rules were first applied to this study."
        )
        self.count = QLabel()
        add = QPushButton("Add subject…")
        add.clicked.connect(self.sig_add_subject)
        top = QHBoxLayout()
        top.addWidget(self.search, 3)
        top.addWidget(self.category, 2)
        top.addWidget(self.ruleset, 1)
        top.addWidget(self.changed_only)
        top.addWidget(self.count)
        top.addStretch(1)
        top.addWidget(add)

        self.table = TableView()  # says why it is empty: no subject yet, or a filter hides them
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_SUBJECT, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setItemDelegateForColumn(COL_CATEGORY, BadgeDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # Not the last column (it took all the spare width while Tumor type and Agent were
        # cut): the spare width goes to the columns whose text is cut, Tumor type and Agent
        # first (see fit_columns), until the user drags a column.
        header.setStretchLastSection(False)
        for col, width in enumerate(BASE_WIDTHS):
            self.table.setColumnWidth(col, width)
        self._fitting = False
        self._user_sized = False
        self._columns_chosen = False  # the user picked the columns (the column chooser)
        self._measured: dict[int, Counter[int]] = {}  # column: {width a text needs: rows}
        header.sectionResized.connect(self._section_resized)
        header.sortIndicatorChanged.connect(lambda *_: self.fit_columns())  # room for the arrow
        self.table.viewport().installEventFilter(self)
        self.search.installEventFilter(self)
        self.table.activated.connect(self._activated)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(lambda pos: self.row_menu(pos).popup(
            self.table.viewport().mapToGlobal(pos)))  # fmt: skip
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda pos: self.column_menu().popup(header.mapToGlobal(pos))
        )
        header.setToolTip("Right-click to choose the columns shown")

        layout = QVBoxLayout(self)
        # No side margins of its own: the window's layout already frames the screen, and the
        # 20 px they took were what the demo's longest regimen lacked at 1920x1080.
        margins = layout.contentsMargins()
        layout.setContentsMargins(0, margins.top(), 0, margins.bottom())
        layout.addLayout(top)
        layout.addWidget(self.table)
        self._show_changes(False)
        self.search.textChanged.connect(self._filter)
        self.category.currentIndexChanged.connect(self._filter)
        self.ruleset.currentIndexChanged.connect(self._filter)
        self.changed_only.toggled.connect(self._filter)

    def set_rows(self, rows: Sequence[RosterRow]) -> None:
        self.model.set_rows(rows)
        self._measured.clear()
        self._update_count()
        self.fit_columns()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_columns()
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and self.search.text()
        ):
            self.search.clear()  # Esc clears the search (the empty roster says so)
            return True
        return super().eventFilter(watched, event)

    def _section_resized(self, *_: object) -> None:
        if not self._fitting:
            self._user_sized = True  # a column dragged by hand stays as the user left it

    def _header_width(self, col: int) -> int:
        """The title's width: with room for the sort arrow only where it is drawn (Qt's own
        hint always adds it, 20 px too many on a 1920 px roster)."""
        header = self.table.horizontalHeader()
        style = header.style()
        margin = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
        width = header.fontMetrics().horizontalAdvance(HEADERS[col]) + 2 * margin + 2
        if header.isSortIndicatorShown() and header.sortIndicatorSection() == col:
            width += style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, header) + margin
        return width

    def _widths(self, col: int) -> Counter[int]:
        """The width each text of column ``col`` needs (with the cell's margins and grid line,
        as the view measures them), over all rows whatever the filter: columns keep their
        widths while a filter hides rows, or shows them again. Cached until the rows change."""
        cached = self._measured.get(col)
        if cached is not None:
            return cached
        style, view = self.table.style(), self.table
        margin = 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1)
        margin += int(view.showGrid()) + 1  # + 1: Qt lays the text out in fractions of a pixel
        bold = QFont(view.font())
        bold.setBold(True)
        badge, plain = QFontMetricsF(bold), view.fontMetrics()

        def measure(text: str) -> int:
            if col == COL_CATEGORY:  # a badge: bold, with its padding (BadgeDelegate.sizeHint)
                return int(badge.horizontalAdvance(text) + 2 * BADGE_PAD + 6 + 2) + 2
            return plain.horizontalAdvance(text) + margin

        widths: Counter[int] = Counter()
        for text, count in self.model.texts(col).items():
            widths[measure(text)] += count
        self._measured[col] = widths
        return widths

    def _content_width(self, col: int) -> int:
        return max([self._header_width(col), *self._widths(col)])

    def _split(self, room: int, free: list[int]) -> dict[int, int]:
        """Share ``room`` between Tumor type and Agent so that the fewest rows are cut (ties:
        the fairer split); each keeps at least its base width."""
        if len(free) < 2:
            return dict.fromkeys(free, room)
        tumor, agent = free
        widths = {c: self._widths(c) for c in free}
        lo, hi = BASE_WIDTHS[tumor], room - BASE_WIDTHS[agent]
        if hi < lo:
            return {tumor: room // 2, agent: room - room // 2}
        options = {lo, hi, room // 2} | {w for w in widths[tumor] if lo <= w <= hi}
        options |= {room - w for w in widths[agent] if lo <= room - w <= hi}

        def cost(t: int) -> tuple[int, int]:
            cut = sum(n for w, n in widths[tumor].items() if w > t)
            cut += sum(n for w, n in widths[agent].items() if w > room - t)
            return cut, abs(room - 2 * t)

        best = min((t for t in options if lo <= t <= hi), key=cost)
        return {tumor: best, agent: room - best}

    def fit_columns(self) -> None:
        """Share the table's spare width, never wider than the viewport: first every column
        whose text is cut gets what it holds (at most FIT_CAP px), the short columns before
        Tumor type and Agent (their free text is the longest; cut, it is whole in the
        tooltip); Tumor type and Agent share the rest so that the fewest rows are cut."""
        if self._user_sized:
            return
        header = self.table.horizontalHeader()
        shown = [c for c in range(len(HEADERS)) if not header.isSectionHidden(c)]
        base = {c: BASE_WIDTHS[c] for c in shown}
        widths = dict(base)
        spare = self.table.viewport().width() - sum(base.values())
        if spare > 0:  # else the base widths, and a scroll bar
            cut = {c: max(min(self._content_width(c), FIT_CAP) - base[c], 0) for c in shown}
            free = [c for c in (COL_TUMOR, COL_AGENT) if c in widths]
            fixed = [c for c in shown if c not in free]
            short = sum(cut[c] for c in fixed)
            for c in fixed:  # all that is cut if it fits, else a fair share each
                widths[c] += cut[c] if short <= spare else cut[c] * spare // short
            spare -= min(short, spare)
            if sum(cut[c] for c in free) <= spare:  # both whole: what is left, half each
                for c in free:
                    widths[c] += cut[c] + (spare - sum(cut[f] for f in free)) // len(free)
            else:
                widths.update(self._split(spare + sum(base[c] for c in free), free))
        self._fitting = True
        try:
            for c, width in widths.items():
                header.resizeSection(c, width)
        finally:
            self._fitting = False

    def set_changes(self, changes: dict[int, CategoryChange]) -> None:
        self.model.set_changes(changes)
        self._measured.pop(COL_CHANGED, None)
        self._show_changes(bool(changes))
        self._update_count()

    def _show_changes(self, any_changed: bool) -> None:
        """The "Changed by rules" column and filter only when a subject is marked: empty,
        they took 160 px of a 1920 px roster to say nothing (a column the user chose stays)."""
        self.changed_only.setVisible(any_changed or self.changed_only.isChecked())
        if not self._columns_chosen:
            self._set_hidden(COL_CHANGED, not any_changed)
            self.fit_columns()

    def _set_hidden(self, col: int, hidden: bool) -> None:
        """Show or hide a column: not a width the user chose (hiding resizes it to 0)."""
        self._fitting = True
        try:
            self.table.horizontalHeader().setSectionHidden(col, hidden)
        finally:
            self._fitting = False

    def _filter(self) -> None:
        self.model.set_filter(
            self.search.text(),
            FILTERS[self.category.currentIndex()][1],
            RULESET_FILTERS[self.ruleset.currentIndex()][1],
            self.changed_only.isChecked(),
        )
        self._update_count()

    def _update_count(self) -> None:
        self.count.setText(f"{self.model.rowCount()} of {len(self.model.all_rows())} subjects")
        self.table.set_placeholder(self.empty_text())

    def empty_text(self) -> str:
        """Why the roster shows no row, and what to do, in the menus' own words: a study with no
        subject yet, or the search and filters that hide every subject (and how to undo them)."""
        from desktop.actions import menu_path

        total = len(self.model.all_rows())
        if total == 0:
            return (
                f"No subjects yet. Add one with {menu_path('add_subject')} or the Add subject… "
                f"button above, or bring a list in with {menu_path('import_roster')} or "
                f"{menu_path('import_cases')}"
            )  # no full stop after the menu's "…"
        if self.model.rowCount() > 0:
            return ""
        hiding, undo = [], []
        if self.search.text().strip():
            hiding.append(f"the search “{self.search.text().strip()}”")
            undo.append("clear the search box (the × at its right, or Esc)")
        if self.category.currentIndex() > 0:
            hiding.append(f"the category “{self.category.currentText()}”")
            undo.append(f"choose “{self.category.itemText(0)}”")
        if self.ruleset.currentIndex() > 0:
            hiding.append(f"the rule set “{self.ruleset.currentText()}”")
            undo.append(f"choose “{self.ruleset.itemText(0)}”")
        if self.changed_only.isChecked():
            hiding.append(f"“{self.changed_only.text()}”")
            undo.append(f"untick “{self.changed_only.text()}”")
        subjects = "the only subject" if total == 1 else f"all {total} subjects"
        what = " and ".join(hiding) or "the filters"
        todo = ", ".join(undo[:-1]) + (" and " if len(undo) > 1 else "") + undo[-1] if undo else ""
        return f"{what[:1].upper()}{what[1:]} {'hides' if len(hiding) < 2 else 'hide'} {subjects}. " + (
            f"To see them, {todo}." if todo else ""
        )

    def _activated(self, index: QModelIndex) -> None:
        self.sig_open_subject.emit(self.model.row_at(index.row()).subject_pk)

    def row_menu(self, pos: QPoint) -> QMenu:
        """The actions on the subject under ``pos`` (right-click on a row)."""
        menu = QMenu(self)
        index = self.table.indexAt(pos)
        if not index.isValid():
            menu.addAction("Add subject…", self.sig_add_subject.emit)
            return menu
        self.table.selectRow(index.row())
        row = self.model.row_at(index.row())
        pk, code = row.subject_pk, row.subject_id
        menu.addAction(f"Open {code}", lambda: self.sig_open_subject.emit(pk))
        menu.addAction(f"Add visit for {code}…", lambda: self.sig_add_visit.emit(pk))
        menu.addAction(f"Worksheet for {code}…", lambda: self.sig_worksheet.emit(pk))
        menu.addAction(f"Print {code}…", lambda: self.sig_print.emit(pk))
        menu.addSeparator()
        menu.addAction("Add subject…", self.sig_add_subject.emit)
        return menu

    def column_menu(self) -> QMenu:
        """The column chooser (right-click on the header): every column but the subject id."""
        menu = QMenu(self)
        header = self.table.horizontalHeader()
        for col, title in enumerate(HEADERS):
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(col))
            action.setEnabled(col != COL_SUBJECT)
            action.toggled.connect(lambda on, col=col: self._choose_column(col, on))
        menu.addSeparator()
        menu.addAction("Show all columns", self.show_all_columns)
        return menu

    def _choose_column(self, col: int, on: bool) -> None:
        self._columns_chosen = True
        self._set_hidden(col, not on)
        self.fit_columns()

    def show_all_columns(self) -> None:
        self._columns_chosen = True
        for col in range(len(HEADERS)):
            self._set_hidden(col, False)
        self.fit_columns()

    def current_subject_pk(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()).subject_pk if index.isValid() else None

    def select_subject(self, subject_id: str) -> bool:
        for row in range(self.model.rowCount()):
            if self.model.row_at(row).subject_id == subject_id:
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
                return True
        return False

    def save_layout(self, settings: QSettings) -> None:
        settings.setValue("roster/header-12", self.table.horizontalHeader().saveState())
        settings.setValue("roster/columns-chosen", self._columns_chosen)
        settings.setValue("roster/user-sized", self._user_sized)

    def restore_layout(self, settings: QSettings) -> None:
        state = settings.value("roster/header-12")
        if state is not None:
            changed_hidden = self.table.horizontalHeader().isSectionHidden(COL_CHANGED)
            self.table.horizontalHeader().restoreState(state)
            # The widths are the user's only if a column was dragged: the saved state also holds
            # the widths fitted to the rows and the screen of last time (walkthrough: an empty
            # roster's, kept for good, so that a 1920 px roster cut "Pending → secondary
            # resista…" beside 500 px of nothing). Fitted widths are fitted again.
            self._user_sized = str(settings.value("roster/user-sized", "false")).lower() == "true"
            self._columns_chosen = str(settings.value("roster/columns-chosen", "false")).lower() == "true"
            if not self._columns_chosen:  # shown or not by whether a subject is marked, as now
                self._set_hidden(COL_CHANGED, changed_hidden)
            self.fit_columns()
