#!/usr/bin/env bash
# Benchmark: callextract against the plain libpcap read loop, a read loop
# that also decodes every G.711 payload and writes the PCM, and tshark, all
# on the same generated capture in one run. Prints times, peak RSS and the
# ratios.
#
# Usage: bench/run.sh [SIZE [CONCURRENT]]  long calls (60 s), SIZE of capture
#                                          (default 1G), CONCURRENT calls (200)
#        bench/run.sh long [SIZE...]       the same, 200 concurrent (default 1G)
#        bench/run.sh short N [N...]       N calls of 2 s, 200 at a time
#        bench/run.sh all                  long 1G, short 4000, short 16000
# A case run at two or more sizes (all, or several SIZEs / Ns) also gets
# its growth figures: last size against first, time and peak RSS.
# Environment: BENCH_DIR, BENCH_SETTLE (default 40, 0 for quick runs),
# BENCH_JOBS, BENCH_THREADS (see bench/lib.sh); BENCH_TSHARK=0 skips tshark.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

usage() { sed -n '7,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

cases=()   # "long SIZE CONCURRENT" or "short N"
case ${1:-} in
  -h|--help) usage ;;
  long) shift; [ $# -gt 0 ] || set -- 1G
        for s in "$@"; do cases+=("long $s 200"); done ;;
  short) shift; [ $# -gt 0 ] || usage
         for n in "$@"; do
           [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || { echo "short: N must be a number of calls: $n" >&2; exit 2; }
           cases+=("short $n")
         done ;;
  all) [ $# -eq 1 ] || usage; cases=("long 1G 200" "short 4000" "short 16000") ;;
  ''|[0-9]*) [ $# -le 2 ] || usage
             [[ ${1:-1G} =~ ^[0-9.]+[KMG]?$ ]] || usage
             cases=("long ${1:-1G} ${2:-200}") ;;
  *) usage ;;
esac

bench_build
threads_check
have_tshark=0
if [ "${BENCH_TSHARK:-1}" != 0 ]; then
  if command -v tshark >/dev/null; then have_tshark=1
  else echo "note: no tshark (apt-get install tshark): tshark rows and ratios skipped" >&2; fi
fi

# capture SPEC: sets cap (generated if missing) and desc for a case spec.
capture() {
  # shellcheck disable=SC2086
  set -- $1
  if [ "$1" = long ]; then
    cap=$work/bench-$2-$3.pcap
    [ -f "$cap" ] || { "$gen" -s "$2" -n "$3" -d 60 "$cap.part" && mv "$cap.part" "$cap"; }
    desc="long calls: $3 concurrent, 60 s each"
  else
    cap=$work/bench-short-$2.pcap
    [ -f "$cap" ] || { "$gen" -n 200 -d 2 -c "$2" "$cap.part" && mv "$cap.part" "$cap"; }
    desc="short calls: $2 calls of 2 s, 200 at a time"
  fi
}

labels=()
declare -A CAPBYTES
for spec in "${cases[@]}"; do
  # shellcheck disable=SC2086
  set -- $spec
  if [ "$1" = long ]; then label="long-$2"; [ "$3" = 200 ] || label="long-$2-$3"
  else label="short-$2"; fi
  labels+=("$label")
  capture "$spec"
  CAPBYTES[$label]=$(stat -c %s "$cap")
  echo
  echo "== $label: $cap ($(du -h "$cap" | cut -f1), $desc)"
  printf '  %-32s %10s %11s\n' contender time "peak RSS"
  m() { measure "$label:$1" "$cap" "${@:2}"; }
  m readloop "$readloop" "$cap"
  m readloop-decode "$readloop" --decode "$work/all.pcm" "$cap"
  m readloop-decode-twice "$readloop" --decode "$work/all.pcm" --twice "$work/all2.pcm" "$cap"
  m callextract "$cx" "$cap" -o "$work/out" -q
  m callextract-no-audio "$cx" "$cap" -o "$work/out" -q --no-audio
  if [ "$threads" != yes ]; then
    printf '  %-32s %s\n' "callextract --threads 1, 2" "$threads_note"
  else
    for n in 1 2; do
      m "callextract-threads-$n" "$cx" "$cap" -o "$work/out" -q --threads "$n"
      m "callextract-no-audio-threads-$n" "$cx" "$cap" -o "$work/out" -q --no-audio --threads "$n"
    done
  fi
  if [ "$have_tshark" = 1 ]; then
    m tshark-rtp-streams tshark -n -q -r "$cap" -z rtp,streams
    m tshark-sip-stat tshark -n -q -r "$cap" -z sip,stat
  fi
  clean_outputs

  t() { echo "${T[$label:$1]:-}"; }
  line() { printf '  %-62s %s\n' "$1" "$2"; }
  echo "  ratios (time):"
  line "callextract --no-audio / readloop:" "$(ratio "$(t callextract-no-audio)" "$(t readloop)")"
  line "callextract (full job) / readloop-decode:" "$(ratio "$(t callextract)" "$(t readloop-decode)")"
  line "callextract (full job) / readloop-decode-twice (same bytes):" "$(ratio "$(t callextract)" "$(t readloop-decode-twice)")"
  if [ "$threads" = yes ]; then
    line "callextract full, 1 thread / 2 threads:" "$(ratio "$(t callextract-threads-1)" "$(t callextract-threads-2)")"
    line "callextract --no-audio, 1 thread / 2 threads:" "$(ratio "$(t callextract-no-audio-threads-1)" "$(t callextract-no-audio-threads-2)")"
  fi
  if [ "$have_tshark" = 1 ]; then
    r1=$(ratio "$(t tshark-rtp-streams)" "$(t callextract-no-audio)")
    r2=$(ratio "$(t tshark-rtp-streams)" "$(t callextract)")
    g1="" g2=""
    if [ "$label" = short-16000 ]; then
      g1="  (goal >= 5: $(verdict "$r1" '>=' 5))" g2="  (goal >= 3: $(verdict "$r2" '>=' 3))"
    fi
    line "tshark -z rtp,streams / callextract --no-audio:" "$r1$g1"
    line "tshark -z rtp,streams / callextract (full job):" "$r2$g2"
    line "tshark -z sip,stat / callextract (full job):" "$(ratio "$(t tshark-sip-stat)" "$(t callextract)")"
  fi
done

# Growth: for each kind (long, short) run at two or more sizes, the last
# against the first.
for kind in long short; do
  ks=()
  for l in "${labels[@]}"; do [[ $l == "$kind"-* ]] && ks+=("$l"); done
  [ ${#ks[@]} -ge 2 ] || continue
  a=${ks[0]} b=${ks[-1]}
  echo
  echo "== growth: $b vs $a (capture bytes x$(ratio "${CAPBYTES[$b]}" "${CAPBYTES[$a]}"))"
  printf '  %-32s %10s %10s\n' contender "time x" "RSS x"
  for c in readloop readloop-decode-twice callextract callextract-no-audio \
           callextract-threads-1 callextract-threads-2 tshark-rtp-streams; do
    [ -n "${T[$a:$c]:-}" ] && [ -n "${T[$b:$c]:-}" ] || continue
    printf '  %-32s %10s %10s\n' "$c" "$(ratio "${T[$b:$c]}" "${T[$a:$c]}")" "$(ratio "${R[$b:$c]}" "${R[$a:$c]}")"
  done
done
