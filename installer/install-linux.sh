#!/usr/bin/env bash
# Install this ResistDesk bundle for the current user (no root, no Python needed):
#   the program under ~/.local/share/ResistDesk/, `resistdesk` in ~/.local/bin,
#   a menu entry and its icon.  Run it from the unpacked folder: ./install-linux.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
NAME="$(basename "$HERE")"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
TARGET="$DATA/ResistDesk/$NAME"
mkdir -p "$DATA/ResistDesk" "$HOME/.local/bin" "$DATA/applications" "$DATA/icons/hicolor/scalable/apps"
if [ "$HERE" != "$TARGET" ]; then
  rm -rf "$TARGET"
  cp -a "$HERE" "$TARGET"
fi
ln -sfn "$TARGET/resistdesk" "$HOME/.local/bin/resistdesk"
cp "$TARGET/resistdesk.svg" "$DATA/icons/hicolor/scalable/apps/resistdesk.svg"
sed "s|@EXEC@|$TARGET/resistdesk|" "$TARGET/resistdesk.desktop" > "$DATA/applications/resistdesk.desktop"
echo "Installed $NAME in $TARGET"
echo "Start it from the applications menu, or run: $HOME/.local/bin/resistdesk"
