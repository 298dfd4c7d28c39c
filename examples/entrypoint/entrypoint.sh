#!/bin/sh
# The buggy entrypoint: sh runs the app as a child of its own. docker stop's
# SIGTERM reaches sh (pid 1 of the container), which dies of it; the app never
# gets it, and is SIGKILLed when the grace period ends.
set -e
echo "preparing the container"
"$PYTHON" "$(dirname "$0")/app.py"
