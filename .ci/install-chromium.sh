#!/bin/sh
# Debian's chromium, for tests that open the microscope's HTML site in a real headless browser.
# Called by .ci/run after install-krita.sh (which ran apt-get update).
set -eu
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
chromium --version
