#!/bin/sh
# Krita and a virtual display for tests/krita (the real-Krita end-to-end test), on Debian 12.
# About 80 s and 730 MB (the recommended python3-pyqt5 and python3-sip give Krita its Python
# plugins). Called by .ci/run.
set -eu
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
$SUDO apt-get install -y -q krita xvfb xauth x11-utils imagemagick
dpkg-query -W krita  # krita --version needs an X display
