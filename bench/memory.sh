#!/usr/bin/env bash
# Memory scaling: callextract's peak RSS and time as the capture grows.
# Long-call captures (200 concurrent calls of 60 s, as bench/run.sh long)
# of each size in MEM_SIZES; on each, callextract --no-audio (report only)
# and, up to MEM_FULL_MAX, the full job; outputs deleted after each run.
# Prints peak RSS and time per size and the largest / smallest RSS ratio
# (goal for 16G / 1G: at most 1.15).
#
# Usage: bench/memory.sh
# Environment: MEM_SIZES (default "1G 4G 16G"), MEM_FULL_MAX (largest size
# the full job is run at, default 4G: a 16 GB full job writes ~50 GB of
# WAVs), MEM_KEEP_CAPTURES=1 keeps the captures this script generated
# (default: deleted at the end), and BENCH_DIR, BENCH_SETTLE, BENCH_JOBS as
# for bench/run.sh (see bench/lib.sh). A size whose capture (or whose full
# job's output) does not fit in BENCH_DIR's free space is skipped, saying so.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
case ${1:-} in -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; '') ;; *) echo "usage: bench/memory.sh (sizes in MEM_SIZES)" >&2; exit 2 ;; esac

sizes=${MEM_SIZES:-1G 4G 16G}
full_max=${MEM_FULL_MAX:-4G}
full_max_b=$(size_bytes "$full_max")
for s in $sizes; do
  [[ $s =~ ^[0-9.]+[KMG]?$ ]] || { echo "MEM_SIZES: not a size: $s" >&2; exit 2; }
done
bench_build

# The full job writes each stream's audio twice as 16-bit PCM (mono and
# stereo WAVs): about 2.9 times the capture (2.98 GB for 1 GB). Report-only
# output (report.json, spill files) is allowed a tenth of the capture.
free_bytes() { df -B1 --output=avail "$work" | tail -n 1 | tr -d ' '; }
human() { numfmt --to=iec --suffix=B "$1"; }

echo "BENCH_DIR $work: $(df -h --output=avail "$work" | tail -n 1 | tr -d ' ') free; sizes: $sizes; full job up to $full_max"
df -h "$work" | sed 's/^/  /'
generated=()
done_sizes=()
for s in $sizes; do
  b=$(size_bytes "$s")
  cap=$work/bench-$s-200.pcap
  echo
  if [ ! -f "$cap" ]; then
    need=$((b + b / 10))
    if [ "$(free_bytes)" -lt "$need" ]; then
      echo "== $s: skipped: the capture and report need $(human "$need"), $(human "$(free_bytes)") free in $work"
      continue
    fi
    "$gen" -s "$s" -n 200 -d 60 "$cap.part" && mv "$cap.part" "$cap"
    generated+=("$cap")
  fi
  echo "== $s: $cap ($(du -h "$cap" | cut -f1))"
  printf '  %-32s %10s %11s\n' run time "peak RSS"
  measure "$s:report-only" "$cap" "$cx" "$cap" -o "$work/out" -q --no-audio
  clean_outputs
  if [ "$b" -gt "$full_max_b" ]; then
    printf '  %-32s %s\n' "full" "not run: larger than MEM_FULL_MAX=$full_max"
  else
    need=$((b * 3 + b / 10))
    if [ "$(free_bytes)" -lt "$need" ]; then
      printf '  %-32s %s\n' "full" "skipped: needs about $(human "$need") for its WAVs, $(human "$(free_bytes)") free"
    else
      measure "$s:full" "$cap" "$cx" "$cap" -o "$work/out" -q
      clean_outputs
    fi
  fi
  done_sizes+=("$s")
done

if [ "${MEM_KEEP_CAPTURES:-0}" != 1 ] && [ ${#generated[@]} -gt 0 ]; then
  rm -f "${generated[@]}"
  echo
  echo "(deleted the captures generated here; MEM_KEEP_CAPTURES=1 keeps them)"
fi

echo
echo "== summary (time s / peak RSS MB)"
printf '  %-8s %22s %22s\n' size "report-only" "full job"
cell() { [ -n "${T[$1]:-}" ] && printf '%8.2f s %8d MB' "${T[$1]}" "$((R[$1] / 1024))" || printf '%22s' "-"; }
for s in "${done_sizes[@]}"; do
  printf '  %-8s %22s %22s\n' "$s" "$(cell "$s:report-only")" "$(cell "$s:full")"
done
if [ ${#done_sizes[@]} -ge 2 ]; then
  a=${done_sizes[0]} z=${done_sizes[-1]}
  goal=""
  [ "$a" = 1G ] && [ "$z" = 16G ] && goal=1
  echo
  for k in report-only full; do
    r=$(ratio "${R[$z:$k]:-}" "${R[$a:$k]:-}")
    [ "$r" = n/a ] && continue
    g="  (goal for 16G / 1G: <= 1.15)"
    [ -n "$goal" ] && g="  (goal <= 1.15: $(verdict "$r" '<=' 1.15))"
    printf '  %-40s %s%s\n' "$k peak RSS $z / $a:" "$r" "$g"
    printf '  %-40s %s  (capture bytes x%s)\n' "$k time $z / $a:" "$(ratio "${T[$z:$k]}" "${T[$a:$k]}")" \
      "$(ratio "$(size_bytes "$z")" "$(size_bytes "$a")")"
  done
fi
