#!/bin/sh
# The fix: exec, so the app replaces sh and gets the SIGTERM itself.
set -e
echo "preparing the container"
exec "$PYTHON" "$(dirname "$0")/app.py"
