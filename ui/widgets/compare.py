"""The preview pane: the picture as it dreams, with a before/after split to compare."""
from __future__ import annotations

from typing import Optional

from ..qt import (QColor, QImage, QKeyEvent, QMouseEvent, QPaintEvent, QPainter, QPen, QPointF, QRectF, QSize,
                  QSizePolicy, QWidget, Qt)

KEY_STEP = 0.05


class ComparePane(QWidget):
    """Shows ``after`` (or ``before`` until there is one); in compare mode the part left of a
    draggable divider shows ``before``. The divider follows the mouse and the arrow keys."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.before: Optional[QImage] = None
        self.after: Optional[QImage] = None
        self.comparing = False
        self.split = 0.5
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(160, 120)
        self.setAccessibleName("Preview")

    def sizeHint(self) -> QSize:
        return QSize(480, 360)

    def set_before(self, image: Optional[QImage]) -> None:
        self.before = image
        self.update()

    def set_after(self, image: Optional[QImage]) -> None:
        self.after = image
        self.update()

    def set_comparing(self, on: bool) -> None:
        self.comparing = on
        self.setCursor(Qt.CursorShape.SplitHCursor if on else Qt.CursorShape.ArrowCursor)
        self.update()

    def set_split(self, fraction: float) -> None:
        self.split = min(1.0, max(0.0, fraction))
        self.update()

    def image_rect(self) -> QRectF:
        """Where the picture is drawn: as large as fits, centred, aspect kept."""
        shown = self.after or self.before
        if shown is None or shown.isNull():
            return QRectF(self.rect())
        scale = min(self.width() / shown.width(), self.height() / shown.height())
        w, h = shown.width() * scale, shown.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window().color().darker(115))
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        target = self.image_rect()
        shown = self.after or self.before
        if shown is None:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No picture yet")
            return
        painter.drawImage(target, shown)
        if self.comparing and self.before is not None and self.after is not None:
            self._draw_split(painter, target, self.before)
        if self.hasFocus():
            painter.setPen(QPen(self.palette().highlight().color(), 2))
            painter.drawRect(QRectF(self.rect()).adjusted(1, 1, -1, -1))

    def _draw_split(self, painter: QPainter, target: QRectF, before: QImage) -> None:
        x = target.left() + target.width() * self.split
        left = QRectF(target.left(), target.top(), x - target.left(), target.height())
        source = QRectF(0, 0, before.width() * self.split, before.height())
        painter.drawImage(left, before, source)
        painter.setPen(QPen(QColor(255, 255, 255), 2))
        painter.drawLine(QPointF(x, target.top()), QPointF(x, target.bottom()))
        metrics = painter.fontMetrics()
        pad = metrics.height() // 3
        for text, right_side in (("Before", False), ("After", True)):
            width = metrics.horizontalAdvance(text) + 2 * pad
            box = QRectF(x + pad if right_side else x - pad - width, target.top() + pad, width, metrics.height() + pad)
            painter.fillRect(box, QColor(0, 0, 0, 150))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _split_at(self, event: QMouseEvent) -> None:
        target = self.image_rect()
        if target.width() > 0:
            self.set_split((event.pos().x() - target.left()) / target.width())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.comparing and event.button() == Qt.MouseButton.LeftButton:
            self._split_at(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.comparing and event.buttons() & Qt.MouseButton.LeftButton:
            self._split_at(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.comparing and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.set_split(self.split + (KEY_STEP if event.key() == Qt.Key.Key_Right else -KEY_STEP))
        else:
            super().keyPressEvent(event)
