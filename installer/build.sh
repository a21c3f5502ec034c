#!/usr/bin/env bash
# Build the one-folder bundle and pack it as dist/ResistDesk-<version>-linux-<arch>.tar.gz.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
VERSION=$("$PY" -c "import core; print(core.__version__)")
NAME="ResistDesk-$VERSION"
rm -rf "dist/$NAME"
"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller installer/resistdesk.spec
cp installer/resistdesk.desktop installer/install-linux.sh resources/icons/resistdesk.svg "dist/$NAME/"
ARCHIVE="dist/$NAME-linux-$(uname -m).tar.gz"
tar -C dist -czf "$ARCHIVE" "$NAME"
echo "bundle:  dist/$NAME ($(du -sh "dist/$NAME" | cut -f1))"
echo "archive: $ARCHIVE ($(du -sh "$ARCHIVE" | cut -f1))"
