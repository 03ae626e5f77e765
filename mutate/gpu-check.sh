#!/bin/sh
# The GPU check of `ctxshare mutate` (docs/mutate.md, issue 20 item 3): the whole suite, 3 faults a
# case, 8 processes at a time; the JSON, the generated doc and the log, all in OUT_DIR.tar.gz.
# About 400 cases x (1 reference + 3 mutants) at 0.3-1.5 s each over -j 8: about 3-5 minutes.
#   usage: mutate/gpu-check.sh BUILD_DIR OUT_DIR [JOBS] [MAX_PER_CASE]
set -u
build=${1:?usage: gpu-check.sh BUILD_DIR OUT_DIR [JOBS] [MAX_PER_CASE]}
out=${2:?usage: gpu-check.sh BUILD_DIR OUT_DIR [JOBS] [MAX_PER_CASE]}
jobs=${3:-8}
max=${4:-3}
mkdir -p "$out/docs"
ctxshare="$build/ctxshare"
"$ctxshare" env >"$out/env.txt" 2>&1
# One case first: does the mutating driver load, and which names did cuGetProcAddress leave unmapped?
"$ctxshare" mutate lifecycle.created_context_survives_cudaDeviceReset --max-per-case 3 --json "$out/probe.json" >"$out/probe.log" 2>&1
echo "probe exit $? ($out/probe.log)"
start=$(date +%s)
"$ctxshare" mutate --max-per-case "$max" -j "$jobs" --json "$out/mutation.json" --docs "$out/docs" >"$out/mutate.log" 2>&1
echo "mutate exit $? in $(( $(date +%s) - start )) s ($out/mutate.log)"
grep '^ctxshare: .* cases killed' "$out/mutate.log"
if command -v jq >/dev/null; then
  # The surviving mutants of conformance cases: each is to be explained or its case made stronger.
  jq -r '.cases[] | select(.kind == "conformance") | .id as $id | .mutants[] | select(.verdict == "survived") | "\($id)\t\(.fault)\t\(.outcome)"' \
    "$out/mutation.json" >"$out/survivors.tsv"
  jq -r '.cases[] | select(.reference.unmapped | length > 0) | "\(.id)\t\(.reference.unmapped | join(","))"' "$out/mutation.json" >"$out/unmapped.tsv"
  echo "survivors: $(wc -l <"$out/survivors.tsv"); cases with unmapped cuGetProcAddress names: $(wc -l <"$out/unmapped.tsv")"
fi
# Beside OUT_DIR: inside it, tar would read the archive it writes.
tar -czf "${out%/}.tar.gz" -C "$out" .
echo "everything: ${out%/}.tar.gz"
