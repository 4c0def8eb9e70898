#!/bin/sh
# GIMP 3 (and Krita 5.2) for the editor tests: Debian 13 has them, Debian 12 does not. On a
# Debian 13 machine they come from its own apt; elsewhere from a Debian 13 (trixie) chroot built
# with debootstrap from the machine's own Debian mirror and kept in a cache outside the checkout,
# so a second run only checks it. Prints the root the tests use ("/" for the machine itself) on
# its last line and writes it to $CACHE/root. Called by .ci/run; read by tests/gimp/trixie.py.
# Measured on 2 shared cores: cold (debootstrap, GIMP 3.0.4, Krita 5.2.9) 65 s wall, 4 min beside a
# test run (40 s of CPU either way; the rest is download and dpkg), 1.6 GB; warm 0.03 s.
set -eu
export DEBIAN_FRONTEND=noninteractive
CACHE=${DREAMLAYER_CI_CACHE:-$HOME/.cache/dreamlayer-ci}
ROOT=$CACHE/trixie
# gimp + python3-gi + its typelib: the Python plug-in host. The X and GL libraries are what the
# pip PyQt5 wheel's xcb platform plugin loads when the engine's Python shows the dialog here.
# krita (and imagemagick, its screenshots): the Krita 5.2 scenario. Changing this list reinstalls
# into the cached chroot.
PACKAGES="gimp python3-gi gir1.2-gimp-3.0 krita python3-pyqt5 ca-certificates \
libgl1 libegl1 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
libxcb-render-util0 libxcb-xinerama0 libxcb-xkb1 libxcb-shape0 libxcb-cursor0 libdbus-1-3 \
fonts-dejavu-core imagemagick"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
mkdir -p "$CACHE"

case "$(cat /etc/debian_version 2>/dev/null)" in
13*|trixie*)
    $SUDO apt-get update -q
    # shellcheck disable=SC2086
    $SUDO apt-get install -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends $PACKAGES xvfb xauth x11-utils imagemagick xdotool
    echo / > "$CACHE/root"
    echo /
    exit 0
    ;;
esac

# The mirror this machine already uses (deb822 or one-line sources), else Debian's own.
MIRROR=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
if [ -z "$MIRROR" ]; then
    MIRROR=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\(http[^ ]*debian\) .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n1)
fi
MIRROR=${MIRROR:-http://deb.debian.org/debian}

if [ ! -f "$ROOT/.debootstrap-done" ]; then
    command -v debootstrap >/dev/null || { $SUDO apt-get update -q; $SUDO apt-get install -o DPkg::Lock::Timeout=600 -y -q debootstrap; }
    $SUDO rm -rf "$ROOT"
    $SUDO debootstrap --variant=minbase trixie "$ROOT" "$MIRROR"
    $SUDO touch "$ROOT/.debootstrap-done"
fi

if [ "$(cat "$ROOT/.packages" 2>/dev/null)" != "$PACKAGES" ]; then
    $SUDO cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt" 2>/dev/null || true
    # Mounts live in a private mount namespace: they vanish with it, even if apt fails.
    # shellcheck disable=SC2016
    $SUDO unshare --mount --propagation private sh -eu -c '
        ROOT=$1; shift
        mount -t proc proc "$ROOT/proc"
        mount --rbind /dev "$ROOT/dev"
        mount --rbind /sys "$ROOT/sys"
        chroot "$ROOT" apt-get update -q
        chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
        chroot "$ROOT" apt-get clean
    ' sh "$ROOT" $PACKAGES
    printf '%s' "$PACKAGES" | $SUDO tee "$ROOT/.packages" >/dev/null
fi
# Xvfb, screenshots and typed keys (xdotool: GIMP's undo has no procedure) run on this machine;
# the chroot sees its display socket.
command -v Xvfb >/dev/null && command -v import >/dev/null && command -v xdotool >/dev/null || {
    $SUDO apt-get update -q; $SUDO apt-get install -o DPkg::Lock::Timeout=600 -y -q xvfb xauth x11-utils imagemagick xdotool; }
echo "$ROOT" > "$CACHE/root"
echo "$ROOT"
