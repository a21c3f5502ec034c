"""Data files shipped with ResistDesk (help text, examples, icons, styles).

A package so that ``importlib.resources`` finds it from a source checkout,
an installed wheel and a PyInstaller bundle alike.
"""
