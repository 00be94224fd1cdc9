#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image:
# install what grading needs from the distribution's packages
# (scripts/install-deps, without the development tools of --dev) and build
# the grader. The bundle's contents are in /autograder/source (this folder).
#
# SHMLAB_SKIP_INSTALL=1 skips the packages (the simulated run in make test
# has them already).
set -euo pipefail
cd "$(dirname "$0")"
if [ "${SHMLAB_SKIP_INSTALL:-0}" != 1 ]; then
    scripts/install-deps
fi
make -s build/shmgrade
build/shmgrade --list
