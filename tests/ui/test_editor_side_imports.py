"""The editor side must load in Krita's and GIMP's Python, which have neither numpy nor torch."""
import subprocess
import sys

CHECK = ("import sys, dreamlayer.ui.session, dreamlayer.ui.dialog, dreamlayer.protocol; "
         "heavy = sorted({'numpy', 'torch', 'PIL'} & set(sys.modules)); print(heavy); sys.exit(bool(heavy))")


def test_dialog_and_protocol_import_without_numpy_or_torch():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
