"""Test-only Krita extension: runs a scenario script once the main window exists.

Krita has no "run this script" flag, so the end-to-end test enables this extension in a
throwaway HOME. The script (named by ``DREAMLAYER_KRITA_SCRIPT``) defines ``main(driver)``,
a generator that yields milliseconds to let Krita's event loop run between steps. Any
exception is written to the log and ends Krita: Krita's own modal error dialog would
block the run forever.
"""
import os
import sys
import traceback

from krita import Extension, Krita
from PyQt5.QtCore import QTimer


class Driver:
    """What a scenario gets: stepping of extra generators, logging and a way to quit."""

    def __init__(self, log_path: str) -> None:
        self.log_path = log_path
        self.failed = False
        self.quitting = False
        self._running = 0

    def log(self, message: str) -> None:
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(message.rstrip("\n") + "\n")

    def spawn(self, generator) -> None:
        """Step a generator on the event loop; each yield is a delay in milliseconds."""
        self._running += 1
        QTimer.singleShot(0, lambda: self._step(generator))

    def _step(self, generator) -> None:
        if self.quitting:
            return
        try:
            delay = next(generator)
        except StopIteration:
            self._running -= 1
            if self._running == 0:
                self.quit()
            return
        except BaseException:
            self.fail(traceback.format_exc())
            return
        QTimer.singleShot(int(delay or 0), lambda: self._step(generator))

    def fail(self, message: str) -> None:
        self.failed = True
        self.log("FAILED\n" + message)
        self.quit()

    def quit(self) -> None:
        """Stop every scenario generator, dismiss dialogs, then quit without save prompts."""
        from PyQt5.QtWidgets import QApplication

        if self.quitting:
            return
        self.quitting = True
        modal = QApplication.activeModalWidget()
        if modal is not None:
            modal.reject()
        self.log("QUIT failed=%s" % self.failed)

        def leave() -> None:
            for document in Krita.instance().documents():
                document.setModified(False)
            Krita.instance().action("file_quit").trigger()

        QTimer.singleShot(200, leave)


class TestDriver(Extension):
    def __init__(self, parent) -> None:
        super().__init__(parent)
        self._started = False

    def setup(self) -> None:
        Krita.instance().notifier().windowCreated.connect(self._window_created)

    def createActions(self, window) -> None:
        pass

    def _window_created(self) -> None:
        if self._started:
            return
        self._started = True
        QTimer.singleShot(1500, self._run)

    def _run(self) -> None:
        script = os.environ["DREAMLAYER_KRITA_SCRIPT"]
        driver = Driver(os.environ.get("DREAMLAYER_KRITA_LOG", script + ".log"))
        sys.excepthook = lambda kind, value, tb: driver.fail("".join(traceback.format_exception(kind, value, tb)))
        try:
            namespace = {"__file__": script, "__name__": "dreamlayer_scenario"}
            with open(script, encoding="utf-8") as source:
                exec(compile(source.read(), script, "exec"), namespace)
            driver.spawn(namespace["main"](driver))
        except BaseException:
            driver.fail(traceback.format_exc())


Krita.instance().addExtension(TestDriver(Krita.instance()))
