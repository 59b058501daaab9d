#!/usr/bin/env bash
# Prepares .venv with the Python package built from ./python (and the test tools).
exec "$(dirname "$0")/python-test.sh" --env-only
