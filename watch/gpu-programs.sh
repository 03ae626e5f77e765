#!/usr/bin/env bash
# Real programs nobody in this project wrote, run under `ctxshare watch` on a GPU machine (issue 19, item 5).
#
#   watch/gpu-programs.sh BUILD_DIR OUT_DIR PYC_DIR
#
# Run from the repository root. BUILD_DIR holds a built `ctxshare` (and its watch-driver/); PYC_DIR is the
# carried .device/pyc: sdist/pycuda-*.tar.gz, whl/*.whl (pytools, pytest, ... for Python 3.12), cpy/
# (cuda_bindings 13.0.x, cuda_pathfinder), cpy-examples/ (cuda_pathfinder 1.3.3, which the examples'
# common.py needs: it imports get_cuda_home_or_path, renamed in later pathfinders) and
# cuda-python-examples/ (NVIDIA/cuda-python examples; README.txt there says which commit).
#
# It installs the wheels into /tmp/site, builds PyCUDA from its sdist in /tmp, and runs under
# `BUILD_DIR/ctxshare watch --json OUT_DIR/<name>.watch.json`:
#   pycuda_cublas_{ok,destroy_first,pop_first}  watch/examples/pycuda_cublas_ctypes.py in each mode
#   cuda_python_<example>                        each cuda-python example
#   pycuda_tests_driver_cumath                   pytest over PyCUDA's test/test_driver.py and test_cumath.py
#   pycuda_tests_gpuarray                        pytest over test/test_gpuarray.py, cut by SIGINT at its
#                                                time limit (pytest then prints what ran), so the whole
#                                                script stays under about 6 minutes
# Each program's stdout, stderr (with watch's report) and exit status go to OUT_DIR/<name>.{stdout,stderr,exit};
# a failure never stops the script. It ends with a summary: program, exit status, watch reports by hazard.
set -u

if [ $# -ne 3 ]; then
  echo "usage: $0 BUILD_DIR OUT_DIR PYC_DIR" >&2
  exit 2
fi
START=$SECONDS
BUILD=$(realpath "$1")
mkdir -p "$2"
OUT=$(realpath "$2")
PYC=$(realpath "$3")
REPO=$(pwd)
CTX=$BUILD/ctxshare
PY=${PYTHON:-python3}
[ -x "$CTX" ] || { echo "no $CTX" >&2; exit 2; }

export CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
export PATH=$CUDA_HOME/bin:$PATH
export LD_LIBRARY_PATH=$CUDA_HOME/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
SITE=/tmp/site
EXSITE=/tmp/site-examples
WORK=/tmp/ctxshare-programs
rm -rf "$WORK" "$EXSITE"
mkdir -p "$WORK" "$SITE" "$EXSITE"

pip_target() {  # pip_target DIR WHEELS...
  local dir=$1
  shift
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$dir" "$@"
}

echo "== installing wheels ($((SECONDS - START)) s)"
pip_target "$SITE" "$PYC"/whl/*.whl "$PYC"/cpy/*.whl >"$OUT/install.log" 2>&1 || echo "wheel install failed: $OUT/install.log"
# The examples' site: cuda_bindings with the older pathfinder their common.py imports from.
pip_target "$EXSITE" "$PYC"/cpy/cuda_bindings-*.whl "$PYC"/cpy-examples/*.whl >>"$OUT/install.log" 2>&1 ||
  echo "examples' wheel install failed: $OUT/install.log"
export PYTHONPATH=$SITE

echo "== building PyCUDA ($((SECONDS - START)) s)"
tar xzf "$PYC"/sdist/pycuda-*.tar.gz -C "$WORK"
PYCUDA_SRC=$(find "$WORK" -maxdepth 1 -type d -name "pycuda-*" | head -1)
(
  cd "$PYCUDA_SRC" &&
    "$PY" configure.py --cuda-root="$CUDA_HOME" &&
    "$PY" -m pip wheel -q --no-build-isolation --no-deps -w "$WORK/wheel" . &&
    pip_target "$SITE" "$WORK"/wheel/pycuda-*.whl
) >"$OUT/pycuda-build.log" 2>&1 || echo "PyCUDA build failed: $OUT/pycuda-build.log"
# The tests run from a copy of test/ so that the source tree's pycuda/ (no compiled _driver) is not imported.
cp -r "$PYCUDA_SRC/test" "$WORK/pycuda-test"
"$PY" -c 'import pycuda, pycuda.driver as d; print("PyCUDA", pycuda.VERSION_TEXT, "built for CUDA", d.get_version())' 2>&1 |
  tee "$OUT/pycuda-version.txt"

NAMES=()
run() {  # run NAME DIR PROGRAM ARGS...: PROGRAM under watch, in DIR
  local name=$1 dir=$2
  shift 2
  NAMES+=("$name")
  echo "== $name ($((SECONDS - START)) s)"
  (cd "$dir" && "$CTX" watch --json "$OUT/$name.watch.json" -- "$@") >"$OUT/$name.stdout" 2>"$OUT/$name.stderr"
  echo $? >"$OUT/$name.exit"
}

# (b) the seed's pattern: PyCUDA context, cuBLAS through ctypes.
for mode in ok destroy-first pop-first; do
  run "pycuda_cublas_${mode//-/_}" "$REPO" "$PY" "$REPO/watch/examples/pycuda_cublas_ctypes.py" "$mode"
done

# (c) cuda-python's examples, each from its own directory with examples/ on the path (as their pytest does).
EX=$PYC/cuda-python-examples/cuda_bindings/examples
for f in 0_Introduction/vectorAddDrv_test.py 0_Introduction/clock_nvrtc_test.py \
  2_Concepts_and_Techniques/streamOrderedAllocation_test.py extra/jit_program_test.py; do
  b=$(basename "$f" .py)
  PYTHONPATH=$EXSITE:$EX run "cuda_python_${b%_test}" "$EX/$(dirname "$f")" "$PY" "$EX/$f"
done

# (a) PyCUDA's own test suite. Interrupted runs (SIGINT from timeout) still print pytest's summary.
T=$((230 - (SECONDS - START)))
[ $T -lt 120 ] && T=120
run pycuda_tests_driver_cumath "$WORK/pycuda-test" timeout -s INT -k 15 "$T" \
  "$PY" -m pytest -q -p no:cacheprovider -rfEs --durations=15 test_driver.py test_cumath.py
T=$((335 - (SECONDS - START)))
[ $T -lt 45 ] && T=45
run pycuda_tests_gpuarray "$WORK/pycuda-test" timeout -s INT -k 15 "$T" \
  "$PY" -m pytest -q -p no:cacheprovider -rfEs --durations=15 test_gpuarray.py

echo "== summary ($((SECONDS - START)) s); files in $OUT"
"$PY" - "$OUT" "${NAMES[@]}" <<'EOF' | tee "$OUT/summary.txt"
import collections, json, os, sys
out, names = sys.argv[1], sys.argv[2:]
print(f"{'program':34} {'exit':>5}  watch reports by hazard (level)")
for name in names:
    try:
        status = open(os.path.join(out, name + ".exit")).read().strip()
    except OSError:
        status = "?"
    try:
        with open(os.path.join(out, name + ".watch.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{name:34} {status:>5}  no watch JSON ({e.__class__.__name__})")
        continue
    counts = collections.Counter((h.get("hazard"), h.get("level")) for h in doc.get("hazards", []))
    text = ", ".join(f"{h} ({l}) x{n}" for (h, l), n in sorted(counts.items())) or "none"
    print(f"{name:34} {status:>5}  {text}; processes {len(doc.get('processes', []))}")
EOF
