"""ResistDesk core: the headless domain library.

Pure Python. It never imports Qt or the ``desktop`` package (a test enforces
this), so the classifier, the RECIST engine, the store and the worksheet can
be used and tested without a display.
"""

__version__ = "0.1.0"
APP_NAME = "ResistDesk"

__all__ = ["APP_NAME", "__version__"]
