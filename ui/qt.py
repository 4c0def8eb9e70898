"""The Qt binding every Qt module of dreamlayer imports from: PyQt5 or PyQt6, chosen once.

Inside an editor it must be the editor's own: Krita 5 runs Qt 5 and has loaded PyQt5 before any
plugin, Krita 6 runs Qt 6 with PyQt6. A bare ``try: import PyQt6`` is wrong there, since PyQt6 can
import inside Krita 5 and then crash it with a second Qt. So the binding already loaded wins;
in a process of our own (the GIMP bridge, tests) ``DREAMLAYER_QT`` names it, else PyQt5 if
installed, else PyQt6. Under PyQt6 the enums' members are also put on their classes
(``Qt.AlignLeft``, ``QDialogButtonBox.ActionRole``) and ``exec_`` is kept, as PyQt5 spells them,
so the code reads the same under both.
"""
from __future__ import annotations

import enum
import importlib.util
import os
import sys
from typing import TYPE_CHECKING, Any

BINDINGS = ("PyQt5", "PyQt6")
CHOICE_VARIABLE = "DREAMLAYER_QT"


class BindingError(ImportError):
    """No usable Qt binding; the message is one line for the user."""


def choose_binding(modules: Any = None, environ: Any = None) -> str:
    """The binding to use: the one already loaded (the host application's), else the asked or installed one."""
    modules = sys.modules if modules is None else modules
    environ = os.environ if environ is None else environ
    loaded = [name for name in BINDINGS if f"{name}.QtCore" in modules]
    if len(loaded) == 1:
        return loaded[0]
    asked = environ.get(CHOICE_VARIABLE, "")
    if asked:
        if asked not in BINDINGS:
            raise BindingError(f"{CHOICE_VARIABLE}={asked!r}; it must be one of {', '.join(BINDINGS)}.")
        return asked
    for name in BINDINGS:
        if importlib.util.find_spec(name) is not None:
            return name
    raise BindingError("Neither PyQt5 nor PyQt6 is installed; install dreamlayer[ui].")


def _promote_enums(*modules: Any) -> None:
    """PyQt6 only has scoped enums (``Qt.AlignmentFlag.AlignLeft``); add PyQt5's short names beside them."""
    for module in modules:
        for owner in vars(module).values():
            if not isinstance(owner, type):
                continue
            for kind in list(vars(owner).values()):
                if isinstance(kind, type) and issubclass(kind, enum.Enum):
                    for member in kind:
                        if not hasattr(owner, member.name):
                            setattr(owner, member.name, member)


BINDING = choose_binding()

if TYPE_CHECKING or BINDING == "PyQt5":
    from PyQt5.QtCore import (QByteArray, QCoreApplication, QObject, QPointF, QProcess, QRectF, QSettings, QSize,
                              QStandardPaths, Qt, QTimer, pyqtSignal)
    from PyQt5.QtGui import QColor, QIcon, QImage, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
    from PyQt5.QtNetwork import QAbstractSocket, QTcpSocket
    from PyQt5.QtWidgets import (QApplication, QButtonGroup, QCheckBox, QComboBox, QCompleter, QDialog,
                                 QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout, QFrame, QGroupBox,
                                 QHBoxLayout, QInputDialog, QLabel, QLineEdit, QMessageBox, QProgressBar, QPushButton,
                                 QRadioButton, QSizePolicy, QSpinBox, QStackedWidget, QToolButton, QVBoxLayout,
                                 QWidget)
else:
    from PyQt6 import QtCore, QtGui, QtNetwork, QtWidgets
    from PyQt6.QtCore import (QByteArray, QCoreApplication, QObject, QPointF, QProcess, QRectF, QSettings, QSize,
                              QStandardPaths, Qt, QTimer, pyqtSignal)
    from PyQt6.QtGui import QColor, QIcon, QImage, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
    from PyQt6.QtNetwork import QAbstractSocket, QTcpSocket
    from PyQt6.QtWidgets import (QApplication, QButtonGroup, QCheckBox, QComboBox, QCompleter, QDialog,
                                 QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout, QFrame, QGroupBox,
                                 QHBoxLayout, QInputDialog, QLabel, QLineEdit, QMessageBox, QProgressBar, QPushButton,
                                 QRadioButton, QSizePolicy, QSpinBox, QStackedWidget, QToolButton, QVBoxLayout,
                                 QWidget)

    _promote_enums(QtCore, QtGui, QtNetwork, QtWidgets)
    for _owner in (QDialog, QCoreApplication):
        if not hasattr(_owner, "exec_"):
            _owner.exec_ = _owner.exec

__all__ = ["BINDING", "QAbstractSocket", "QApplication", "QButtonGroup", "QByteArray", "QCheckBox", "QColor",
           "QComboBox", "QCompleter", "QCoreApplication", "QDialog", "QDialogButtonBox", "QDoubleSpinBox",
           "QFileDialog", "QFormLayout", "QFrame", "QGroupBox", "QHBoxLayout", "QIcon", "QImage", "QInputDialog",
           "QKeyEvent", "QLabel", "QLineEdit", "QMessageBox", "QMouseEvent", "QObject", "QPainter", "QPaintEvent",
           "QPen", "QPixmap", "QPointF", "QProcess", "QProgressBar", "QPushButton", "QRadioButton", "QRectF",
           "QSettings", "QSize", "QSizePolicy", "QSpinBox", "QStackedWidget", "QStandardPaths", "QTcpSocket",
           "QTimer", "QToolButton", "QVBoxLayout", "QWidget", "Qt", "pyqtSignal"]
