#!/usr/bin/env bash
# The install without torch: a venv of `.[onnx,ui]` dreams the README example from a gradient graph
# that the full install (.venv) exports in this same run. Prints the venv's size and the times.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

start=$(date +%s)
rm -rf .venv-onnx
python3 -m venv .venv-onnx
.venv-onnx/bin/pip install -q --upgrade pip
.venv-onnx/bin/pip install -q -c .ci/constraints.txt -e '.[onnx,ui]'
installed=$(date +%s)
if .venv-onnx/bin/python -c 'import torch' 2>/dev/null; then
    echo ".ci/torch-free.sh: torch was installed by .[onnx,ui]" >&2
    exit 1
fi

.venv/bin/dreamlayer export-onnx efficientnet-lite0 -o "$work/efficientnet-lite0.onnx"
export DREAMLAYER_CACHE="$work/cache"
dreamt=$(date +%s.%N)
.venv-onnx/bin/dreamlayer models import "$work/efficientnet-lite0.onnx"
.venv-onnx/bin/dreamlayer dream examples/cat.jpg -o "$work/cat-dream.jpg" --report "$work/report.json" 2>/dev/null
finished=$(date +%s.%N)
.venv-onnx/bin/python - "$work/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert report["backend"] == "onnx" and report["objective_after"] > report["objective_before"] + 10, report
print(f"torch-free dream: {report['objective']} {report['objective_before']:.2f} -> {report['objective_after']:.2f} "
      f"on {report['device']}")
PY
# visualize and atlas run there too: the same numpy loop, the gradient from the graph
.venv-onnx/bin/dreamlayer visualize --class goldfish --from grey --size 96 --steps 32 -o "$work/goldfish.png" \
    --report "$work/goldfish.json" 2>/dev/null
.venv-onnx/bin/python - "$work/goldfish.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert report["device"].startswith("onnx:") and report["targets"][0]["rank"] <= 5, report
print(f"torch-free visualize: goldfish rank {report['targets'][0]['rank']} in {report['seconds']:.1f} s")
PY
.venv-onnx/bin/dreamlayer atlas efficientnet-lite0 blocks.1 --channels 0-3 --size 48 --steps 8 \
    -o "$work/atlas.jpg" 2>/dev/null
# The Krita plugin installs against this engine (its check accepts ONNX Runtime in place of torch).
HOME="$work/home" XDG_DATA_HOME="$work/home/share" XDG_CONFIG_HOME="$work/home/config" \
    .venv-onnx/bin/dreamlayer install krita
echo "torch-free venv: $(du -sm .venv-onnx | cut -f1) MB, installed in $((installed - start)) s;" \
     "import + first dream $(python3 -c "print(f'{$finished - $dreamt:.1f}')") s"
