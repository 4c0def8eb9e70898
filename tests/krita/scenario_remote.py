"""Runs inside Krita, after the other scenarios (scenario_dream.py calls it): the Dream dialog
switched to a ``dreamlayer serve`` on 127.0.0.1 (started by krita_e2e.py, its port, token and
pid in the environment), a preview and an Apply through it, then the server killed mid-preview.
"""
import os
import signal
import time

from krita import Krita
from PyQt5.QtCore import QByteArray
from PyQt5.QtWidgets import QApplication

WAIT = 240.0


def _dialog(seconds=60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        modal = QApplication.activeModalWidget()
        if modal is not None and modal.objectName() == "dreamDialog":
            return modal
        yield 50
    return None


def _until(condition, seconds=WAIT):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        yield 50
    return condition()


def _connect_and_apply(results, shared, env):
    dialog = yield from _dialog()
    results.check("remote: dialog opened", dialog is not None)
    if dialog is None:
        return
    box = dialog.engine_box
    box.remote.setChecked(True)
    box.address.setText(f"127.0.0.1:{env['port']}")
    box.token.setText(env["token"])
    box.check.click()
    connected = yield from _until(lambda: dialog.preview_button.isEnabled() or dialog.banner.isVisible())
    results.check("remote: connected, its device and models shown",
                  connected and box.status.text().startswith("Connected to ") and "models installed" in
                  box.status.text() and dialog.client.process_id() == 0, box.status.text())
    dialog.strength.steps.setValue(env["steps"])
    dialog.strength.pattern_size.setValue(env["pattern"])
    dialog.preview_button.click()
    shot = yield from _until(lambda: dialog.pane.after is not None and dialog.progress.bar.value() >= 1)
    if shot:
        dialog.grab().save(os.path.join(env["out"], "dialog-remote.png"))
        env["shoot"]("screen-remote.png")
    done = yield from _until(lambda: dialog._finished_preview is not None or dialog.banner.isVisible())
    results.check("remote: preview streamed and finished", shot and done and not dialog.banner.isVisible(),
                  dialog.status.text())
    dialog.apply_button.click()
    yield from _until(lambda: "applied" in shared)


def _kill_mid_preview(results, shared, env):
    dialog = yield from _dialog()
    if dialog is None:
        results.check("remote: reopened on the remote engine", False)
        return
    ready = yield from _until(lambda: dialog.preview_button.isEnabled())
    results.check("remote: reopened on the remote engine", ready and dialog.engine_box.remote.isChecked(),
                  dialog.engine_box.status.text())
    dialog.strength.steps.setValue(300)
    dialog.preview_button.click()
    yield from _until(lambda: dialog.progress.bar.value() >= 1)
    os.kill(env["pid"], signal.SIGKILL)
    told = yield from _until(lambda: dialog.banner.isVisible(), 30)
    text = dialog.banner.text.text()
    results.check("remote: server killed mid-preview is explained",
                  told and "connection to the remote engine" in text and "has not been changed" in text, text)
    dialog.grab().save(os.path.join(env["out"], "dialog-remote-lost.png"))
    env["shoot"]("screen-remote-lost.png")
    shared["lost"] = True
    dialog.engine_box.local.setChecked(True)  # the next run of this HOME starts on this computer again
    dialog.reject()


def remote_engine(results, open_document, select_rect, layers, all_pixels, composite, shoot):
    """The checks named "remote: ..."; the document helpers come from scenario_dream.py."""
    env = {"port": int(os.environ["DREAMLAYER_E2E_SERVE_PORT"]), "token": os.environ["DREAMLAYER_E2E_SERVE_TOKEN"],
           "pid": int(os.environ["DREAMLAYER_E2E_SERVE_PID"]), "out": os.environ["DREAMLAYER_E2E_DIR"],
           "steps": int(os.environ.get("DREAMLAYER_E2E_STEPS", "3")),
           "pattern": float(os.environ.get("DREAMLAYER_E2E_PATTERN", "2")), "shoot": shoot}
    app = Krita.instance()
    document = yield from open_document(app, "remote", 160, 120)
    source = layers(document)[0]
    pixels = bytes(value for y in range(120) for x in range(160) for value in (x * 5 % 256, y * 3 % 256, (x + y) % 256,
                                                                                 255))
    source.setPixelData(QByteArray(pixels), 0, 0, 160, 120)
    select_rect(document, source, 40, 30, 80, 60)
    yield 300
    before_source = all_pixels(source, document)
    shared = {}
    extension = [item for item in app.extensions() if type(item).__name__ == "DreamExtension"][0]
    extension.applied.connect(lambda error: shared.__setitem__("applied", error))
    results.driver.spawn(_connect_and_apply(results, shared, env))
    yield 50
    app.action("dreamlayer_dream").trigger()
    yield from _until(lambda: "applied" in shared)
    yield 500
    results.check("remote: Apply added the dream layer", not shared.get("applied", "never applied") and
                  len(layers(document)) == 2, shared.get("applied"))
    results.check("remote: source layer unchanged", all_pixels(source, document) == before_source)
    after = composite(document)
    results.driver.spawn(_kill_mid_preview(results, shared, env))
    yield 50
    app.action("dreamlayer_dream").trigger()
    yield from _until(lambda: "lost" in shared)
    yield 500
    results.check("remote: after the lost connection the document is untouched",
                  len(layers(document)) == 2 and composite(document) == after)
    document.setModified(False)
    document.close()
