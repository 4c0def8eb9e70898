#!/usr/bin/env bash
# OpenSSH for the test of the remote engine's supported route (an SSH tunnel); the test starts its
# own sshd on 127.0.0.1 with its own keys, so the system's ssh service is never started or used.
set -euo pipefail
if ! command -v sshd >/dev/null && [ ! -x /usr/sbin/sshd ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openssh-server openssh-client
fi
mkdir -p /run/sshd  # sshd run as root wants its privilege separation folder
