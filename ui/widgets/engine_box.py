"""Where the dream runs: the engine on this computer, or a ``dreamlayer serve`` elsewhere
(address and token), with a button that connects and says what answered."""
from __future__ import annotations

from typing import Any, Optional

from ..qt import (QButtonGroup, QCheckBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QRadioButton,
                  QVBoxLayout, QWidget, pyqtSignal)

from dreamlayer.protocol import DEFAULT_PORT

from ..transport import Remote, parse_address

ERROR_STYLE = "color: #b00020;"
LOCAL, REMOTE = "local", "remote"


class EngineBox(QWidget):
    """``chosen`` carries a :class:`Remote`, or None for this computer, when the painter picks one."""

    chosen = pyqtSignal(object)

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.local = QRadioButton("On this computer", objectName="engineLocal",
                                  toolTip="Dream with the engine installed on this computer")
        self.remote = QRadioButton("Rem&ote", objectName="engineRemote",
                                   toolTip="Dream on another computer running `dreamlayer serve` (Alt+O)")
        group = QButtonGroup(self)
        group.addButton(self.local)
        group.addButton(self.remote)
        self.local.setChecked(True)
        self.address = QLineEdit(objectName="engineAddress", placeholderText=f"127.0.0.1:{DEFAULT_PORT}",
                                 toolTip="host:port of `dreamlayer serve`; through an SSH tunnel, 127.0.0.1 and "
                                         "the tunnel's local port")
        self.token = QLineEdit(objectName="engineToken", placeholderText="the token `dreamlayer serve` printed",
                               toolTip="The token `dreamlayer serve` printed when it started (kept in its token file)")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.deflate = QCheckBox("Compress pictures (slow networks)", objectName="engineDeflate",
                                 toolTip="Deflate pictures both ways: about 30 % fewer bytes for photos, for about a "
                                         "CPU-second per 12 megapixels each way. Pays on Wi-Fi or networks slower "
                                         "than about 100 Mbit/s; on a gigabit network sending them as they are is "
                                         "faster")
        self.check = QPushButton("Chec&k connection", objectName="engineCheck",
                                 toolTip="Connect to the chosen engine now and show what it is (Alt+K)")
        self.status = QLabel(objectName="engineStatus", wordWrap=True, toolTip="The engine the dialog dreams with")
        choice = QHBoxLayout()
        choice.addWidget(self.local)
        choice.addWidget(self.remote)
        choice.addStretch(1)
        self.remote_fields = QWidget()  # shown only for Remote: the dialog stays short for most painters
        form = QFormLayout(self.remote_fields)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Address:", self.address)
        form.addRow("Token:", self.token)
        form.addRow("", self.deflate)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(choice)
        layout.addWidget(self.remote_fields)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.check)
        layout.addLayout(row)
        self.check.clicked.connect(self._check)
        self.local.toggled.connect(self._toggled)
        self._toggled()

    def choice(self) -> Optional[Remote]:
        """The remote engine filled in, or None for this computer; ValueError with one line if incomplete."""
        if self.local.isChecked():
            return None
        host, port = parse_address(self.address.text())
        token = self.token.text().strip()
        if not token:
            raise ValueError("Paste the token `dreamlayer serve` printed")
        return Remote(host, port, token, self.deflate.isChecked())

    def values(self) -> dict[str, Any]:
        """What is remembered between runs (the token too: in the user's own settings file)."""
        return {"engine": LOCAL if self.local.isChecked() else REMOTE, "address": self.address.text(),
                "token": self.token.text(), "deflate": self.deflate.isChecked()}

    def set_values(self, values: dict[str, Any]) -> None:
        self.address.setText(str(values.get("address") or ""))
        self.token.setText(str(values.get("token") or ""))
        self.deflate.setChecked(bool(values.get("deflate")))
        (self.remote if values.get("engine") == REMOTE else self.local).setChecked(True)

    def connecting(self, remote: Optional[Remote]) -> None:
        self._say("Starting the engine on this computer..." if remote is None else f"Connecting to {remote.address}...")

    def show_engine(self, hello: dict[str, Any], models: Optional[list] = None) -> None:
        """Say what answered: the machine and device of a remote engine, how many models it has."""
        installed = "" if models is None else \
            f"; {sum(1 for m in models if m.get('installed'))} of {len(models)} models installed"
        if self.remote.isChecked() and not hello.get("remote"):
            try:
                self.choice()
            except ValueError as exc:
                self.show_problem(f"{exc}; dreaming on this computer until then.")
                return
        if hello.get("remote"):
            self._say(f"Connected to {hello.get('host') or 'the remote engine'}: dreams on "
                      f"{hello.get('device') or 'an unknown device'}{installed}.")
        else:
            self._say(f"This computer's engine (Python {hello.get('python', '?')}){installed}.")

    def show_problem(self, text: str) -> None:
        self._say(text, error=True)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet(ERROR_STYLE if error else "")
        self.status.setText(text)

    def _toggled(self) -> None:
        self.remote_fields.setVisible(self.remote.isChecked())
        if self.local.isChecked():
            self.chosen.emit(None)

    def _check(self) -> None:
        try:
            remote = self.choice()
        except ValueError as exc:
            self.show_problem(f"{exc}.")
            return
        self.chosen.emit(remote)
