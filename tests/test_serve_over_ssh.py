"""The supported way to reach ``dreamlayer serve`` from another machine, for real: an OpenSSH
tunnel (``ssh -N -L``) to its loopback port, through a private sshd on 127.0.0.1. CI installs
OpenSSH (.ci/install-ssh.sh); a machine without sshd skips this."""
import shutil
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from dreamlayer import protocol
from dreamlayer.pixels import Image
from dreamlayer.settings import DreamSettings
from serve_process import Editor, ServeProcess

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)
pytestmark = pytest.mark.skipif(SSHD is None or shutil.which("ssh") is None, reason="OpenSSH is not installed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, what: str) -> None:
    end = time.monotonic() + 30
    while time.monotonic() < end:
        assert process.poll() is None, f"{what} exited: {process.stderr.read() if process.stderr else ''}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{what} never listened on {port}")


@pytest.fixture
def sshd(tmp_path):
    """A private sshd on 127.0.0.1 that lets this user in with a fresh key; yields (port, ssh options)."""
    for name in ("host", "user"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / name)], check=True)
    (tmp_path / "authorized_keys").write_text((tmp_path / "user.pub").read_text())
    port = _free_port()
    (tmp_path / "sshd_config").write_text(f"""ListenAddress 127.0.0.1
Port {port}
HostKey {tmp_path / 'host'}
AuthorizedKeysFile {tmp_path / 'authorized_keys'}
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile none
AllowTcpForwarding local
PermitRootLogin prohibit-password
""")
    process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(tmp_path / "sshd_config")], stderr=subprocess.PIPE,
                               text=True)
    try:
        _wait_for_port(port, process, "sshd")
        host_key = (tmp_path / "host.pub").read_text().split()
        (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
        yield port, ["-i", str(tmp_path / "user"), "-o", f"UserKnownHostsFile={tmp_path / 'known_hosts'}",
                     "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-p", str(port)]
    finally:
        process.kill()
        process.wait()


def test_a_dream_through_an_ssh_tunnel_equals_one_on_the_loopback_port(sshd, tmp_path):
    ssh_port, options = sshd
    server = ServeProcess(tmp_path / "token")
    local_port = _free_port()
    user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
    tunnel = subprocess.Popen(["ssh", "-N", "-L", f"{local_port}:127.0.0.1:{server.port}", *options,
                               f"{user}@127.0.0.1"], stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_port(local_port, tunnel, "the ssh tunnel")
        rng = np.random.default_rng(5)
        image = Image(96, 64, rng.integers(0, 256, 96 * 64 * 4, dtype=np.uint8).tobytes(), 8)
        results = []
        for port in (local_port, server.port):  # through the tunnel, then straight to the loopback port
            editor = Editor(port)
            try:
                hello = editor.receive()
                assert hello.type == "hello" and hello["remote"]
                editor.dream(1, image, DreamSettings(steps=2, octaves=1))
                _, result = editor.until("result")
                results.append(protocol.image_from(result))
            finally:
                editor.close()
        assert results[0] == results[1]
    finally:
        tunnel.kill()
        tunnel.wait()
        server.close()

