"""ResistDesk desktop application (PySide6). Holds no clinical logic: every
decision is made by ``core``; this package gathers input and shows results."""
