#!/bin/sh
# The cost of `ctxshare watch` on a launch-heavy loop (docs/watch.md): watch/bench_launches.cu run
# REPS times without and REPS times with the interposer, alternating; prints each run and the median
# ratio of each loop. Needs a GPU.   usage: watch/bench_watch.sh BUILD_DIR [REPS] [LAUNCHES]
set -eu
build=${1:?usage: bench_watch.sh BUILD_DIR [REPS] [LAUNCHES]}
reps=${2:-7}
launches=${3:-100000}
bench="$build/watch/watch_bench_launches"
[ -x "$bench" ] || { echo "build it first: cmake --build $build --target watch_bench_launches" >&2; exit 2; }
out=$(mktemp)
i=0
while [ "$i" -lt "$reps" ]; do
  printf 'bare ' >>"$out"; "$bench" "$launches" >>"$out"
  printf 'watched ' >>"$out"; "$build/ctxshare" watch -- "$bench" "$launches" 2>/dev/null >>"$out"
  i=$((i + 1))
done
cat "$out"
python3 - "$out" <<'PY'
import json, statistics, sys
runs = {"bare": [], "watched": []}
for line in open(sys.argv[1]):
    kind, _, record = line.partition(" ")
    runs[kind].append(json.loads(record))
for loop in ("cuLaunchKernel_s", "runtime_launch_s"):
    bare = statistics.median(r[loop] for r in runs["bare"])
    watched = statistics.median(r[loop] for r in runs["watched"])
    print(f"{loop}: bare {bare:.4f} s, watched {watched:.4f} s, ratio {watched / bare:.3f} (target <= 1.2)")
PY
rm -f "$out"
