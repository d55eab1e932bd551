#!/usr/bin/env bash
# Memory per concurrent call: captures where N calls (4 s each, all at
# once) are open together, for each N in CONC_SIZES (default
# "200 2000 10000"); peak RSS of callextract --no-audio and of the full job
# on each, and the growth per concurrent call between the smallest and the
# largest N. Outputs are deleted after each run.
# Usage: bench/concurrency.sh   Environment: CONC_SIZES, BENCH_DIR, BENCH_SETTLE (see bench/lib.sh)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
case ${1:-} in -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; '') ;; *) echo "usage: bench/concurrency.sh" >&2; exit 2 ;; esac
sizes=${CONC_SIZES:-200 2000 10000}
bench_build
declare -A rss_na rss_full
printf '%-8s %12s %12s %12s %12s\n' "calls" "no-audio s" "no-audio MB" "full s" "full MB"
for c in $sizes; do
  cap=$work/conc-$c.pcap
  [ -f "$cap" ] || "$bld/bench/gen-capture" -n "$c" -d 4 -c "$c" -s 100G "$cap.part" >/dev/null 2>&1 && mv "$cap.part" "$cap"
  line=$(printf '%-8s' "$c")
  for mode in no-audio full; do
    rm -rf "$work/out"; sync; sleep "${BENCH_SETTLE:-40}"
    args=(-q); [ $mode = no-audio ] && args+=(--no-audio)
    /usr/bin/time -f "%e %M" -o "$work/time.conc" "$bld/tools/callextract" "$cap" -o "$work/out" "${args[@]}" >/dev/null 2>&1 || true
    read -r secs kb < "$work/time.conc"
    line+=$(printf ' %12.2f %12d' "$secs" "$((kb / 1024))")
    if [ $mode = no-audio ]; then rss_na[$c]=$kb; else rss_full[$c]=$kb; fi
  done
  echo "$line"
  rm -rf "$work/out"
done
set -- $sizes
lo=$1; hi=${!#}
if [ "$lo" != "$hi" ]; then
  awk -v a="${rss_na[$lo]}" -v b="${rss_na[$hi]}" -v x="${rss_full[$lo]}" -v y="${rss_full[$hi]}" -v n="$((hi - lo))" \
    'BEGIN { printf "per concurrent call (%d -> %d calls): --no-audio %.1f KB, full job %.1f KB\n", '"$lo"', '"$hi"', (b - a) / n, (y - x) / n }'
fi
