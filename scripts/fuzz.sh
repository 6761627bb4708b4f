#!/usr/bin/env bash
# Runs every libFuzzer target for a while: scripts/fuzz.sh [SECONDS per target, default 300]
#
# Targets are the executable targets under Fuzz/ (pier-fuzz-*), built with PIER_FUZZ=1, which
# makes Package.swift compile the project's own modules with -sanitize=fuzzer,address (the
# dependencies as usual), into .build-fuzz apart from the ordinary build, or into the scratch
# path PIER_FUZZ_SCRATCH names: CI names its ordinary .build, whose dependencies are then
# reused and only the fuzzed modules compiled again (a later ordinary build compiles them
# back). Each starts
# from a copy of its corpus in Fuzz/corpus/<name>; a crash, or an input that takes more
# than 30 s (a hang in the making; libFuzzer's slow-unit report), is written to
# Fuzz/findings/ and fails the run. A finding is fixed with a regression test, and the input is kept in
# the corpus (the ordinary build's pier-fuzz-* replay the corpus in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
targets=(oci http auth s3 config markdown)
scratch="${PIER_FUZZ_SCRATCH:-.build-fuzz}"
export PIER_FUZZ=1
for target in "${targets[@]}"; do
  swift build --scratch-path "$scratch" --product "pier-fuzz-$target"
done
bin="$(swift build --scratch-path "$scratch" --show-bin-path)"
mkdir -p Fuzz/findings
status=0
for target in "${targets[@]}"; do
  work="$(mktemp -d)"
  cp Fuzz/corpus/"$target"/* "$work"/
  echo "==> fuzzing $target for ${seconds}s"
  if ! "$bin/pier-fuzz-$target" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -report_slow_units=30 \
      -artifact_prefix=Fuzz/findings/"$target"- -print_final_stats=1 "$work" 2>&1 | tail -n 20; then
    status=1
  fi
  rm -rf "$work"
done
if ls Fuzz/findings/* >/dev/null 2>&1; then
  echo "==> findings in Fuzz/findings:" && ls Fuzz/findings
  status=1
fi
exit "$status"
