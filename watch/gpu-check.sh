#!/bin/sh
# The GPU check of `ctxshare watch` (docs/watch.md, issue 19 item 3): the whole suite under the
# interposer, scored (recall over hazard cases, false alarms over passing conformance cases), then
# the cost of the interposer on a launch-heavy loop. Everything lands in OUT_DIR, and all of it in
# OUT_DIR.tar.gz as well (the GPU tool returns only a few files).
#   usage: watch/gpu-check.sh BUILD_DIR OUT_DIR [JOBS]
set -u
build=${1:?usage: gpu-check.sh BUILD_DIR OUT_DIR [JOBS]}
out=${2:?usage: gpu-check.sh BUILD_DIR OUT_DIR [JOBS]}
jobs=${3:-4}
mkdir -p "$out"
ctxshare="$build/ctxshare"
"$ctxshare" env >"$out/env.txt" 2>&1
# Which entry points the runtime resolves, and whether the interposer loads: one watched case first.
"$ctxshare" watch --json "$out/probe.watch.json" -- "$ctxshare" run lifecycle.created_context_survives_cudaDeviceReset \
  >"$out/probe.log" 2>&1
echo "run --watch (the suite): $out/run-watch.json, log $out/run-watch.log"
"$ctxshare" run --watch -j "$jobs" --reruns 0 --json "$out/run-watch.json" >"$out/run-watch.log" 2>&1
echo "  exit $?"
"$ctxshare" score-watch "$out/run-watch.json" --json "$out/score.json" >"$out/score.txt" 2>&1
echo "score-watch exit $? ($out/score.txt):"
tail -1 "$out/score.txt"
# Processes whose interposer did not load the real driver, and the hazards reported per case.
if command -v jq >/dev/null; then
  jq -r '.cases[] | select(.watch.processes | length > 0) | select(.watch.loaded | not) | .id' "$out/run-watch.json" >"$out/not-loaded.txt"
  jq -r '.cases[] | select(.watch.hazards | length > 0) | "\(.id)\t\(.case.kind)\t\(.outcome)\t\([.watch.hazards[] | "\(.hazard)[\(.key)] -> \(.case)"] | join(", "))"' \
    "$out/run-watch.json" >"$out/reports-by-case.tsv"
  # Processes that ran without the preloaded exit marker (watch/exit_marker.cpp): no call_during_exit there.
  jq -r '.cases[] | select([.watch.processes[] | select(.exit_marker != true)] | length > 0) | .id' "$out/run-watch.json" \
    >"$out/no-exit-marker.txt"
  echo "not loaded: $(wc -l <"$out/not-loaded.txt") cases; without the exit marker: $(wc -l <"$out/no-exit-marker.txt"); reports: $out/reports-by-case.tsv"
fi
"$ctxshare" bench --watch-cost --json "$out/bench-watch-cost.json" >"$out/bench-watch-cost.txt" 2>&1
echo "bench --watch-cost exit $?:"
grep 'under watch\|interposer' "$out/bench-watch-cost.txt"
# Everything above in one file, beside OUT_DIR (inside it, tar would read the archive it writes).
tar -czf "${out%/}.tar.gz.part" -C "$out" . && mv "${out%/}.tar.gz.part" "${out%/}.tar.gz"
echo "everything: ${out%/}.tar.gz ($(du -h "${out%/}.tar.gz" 2>/dev/null | cut -f1))"
