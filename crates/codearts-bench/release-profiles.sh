#!/usr/bin/env bash
# Cold build times and stripped sizes of `codearts` for release-profile variants, and the
# cold debug build of one service crate. Each build starts from an empty target directory
# under target/cold/ (removed afterwards), one build at a time. Usage:
#   bash crates/codearts-bench/release-profiles.sh [VARIANT...]
# with variants named LTO-CGU[-OPT], e.g. off-16 thin-1 fat-1 fat-16 fat-1-s, and `debug`
# for `cargo build -p codearts-pipeline`. Results are appended to target/bench/profiles.tsv.
# Timings mean little on a busy machine: each line carries the load average before and after.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=target/bench/profiles.tsv
mkdir -p target/bench target/cold
[ -s "$out" ] || printf 'variant\tseconds\tbytes\tload_before\tload_after\tdate\n' >"$out"
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(off-16 thin-1 fat-1 fat-1-s debug)

for variant in "${variants[@]}"; do
  dir="target/cold/$variant"
  rm -rf "$dir"
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  start=$(date +%s.%N)
  if [ "$variant" = debug ]; then
    CARGO_TARGET_DIR="$dir" cargo build --quiet -p codearts-pipeline
    bytes=-
  else
    IFS=- read -r lto cgu opt <<<"$variant"
    [ "$lto" = off ] && lto=false
    CARGO_TARGET_DIR="$dir" \
      CARGO_PROFILE_RELEASE_LTO="$lto" \
      CARGO_PROFILE_RELEASE_CODEGEN_UNITS="$cgu" \
      CARGO_PROFILE_RELEASE_OPT_LEVEL="${opt:-3}" \
      CARGO_PROFILE_RELEASE_STRIP=true \
      cargo build --quiet --release -p codearts-cli --bin codearts
    bytes=$(stat -c %s "$dir/release/codearts")
  fi
  end=$(date +%s.%N)
  seconds=$(awk "BEGIN { print $end - $start }")
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  printf '%s\t%.1f\t%s\t%s\t%s\t%s\n' "$variant" "$seconds" "$bytes" "$load_before" "$load_after" \
    "$(date -u +%FT%TZ)" | tee -a "$out"
  rm -rf "$dir"
done
