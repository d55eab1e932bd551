#!/usr/bin/env bash
# Benchmark: callextract against the plain libpcap read loop, a read loop
# that also decodes every G.711 payload and writes the PCM, and tshark, all
# on the same generated capture in one run. Prints times, peak RSS and the
# ratios. Usage: bench/run.sh [SIZE (default 1G)] [CALLS (default 200)]
set -euo pipefail
size=${1:-1G}
calls=${2:-200}
top=$(cd "$(dirname "$0")/.." && pwd)
bld=$top/build-bench
work=${BENCH_DIR:-/tmp/callextract-bench}
mkdir -p "$work"
if [ ! -d "$bld" ]; then
  meson setup "$bld" "$top" --buildtype=release -Dtests=false >/dev/null
fi
ninja -C "$bld" >/dev/null
cap=$work/bench-$size-$calls.pcap
[ -f "$cap" ] || "$bld/bench/gen-capture" -s "$size" -n "$calls" -d 60 "$cap"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }
cat "$cap" > /dev/null   # warm the page cache: every contender reads from memory

# Outputs are deleted after each run, then the next run waits: ext4 skips
# inodes freed in the last ~35 s when it allocates new ones, which would
# charge the previous run's deletion to the next one's file creation (the
# tool creates thousands of files, the loops one or two).
run() { # name, command...
  local name=$1; shift
  rm -rf "$work/out" "$work/all.pcm" "$work/all2.pcm"; sync; sleep "${BENCH_SETTLE:-40}"
  cat "$cap" > /dev/null   # the capture back in the page cache (tshark's 1 GB may have pushed it out)
  /usr/bin/time -f "%e %M" -o "$work/time.$name" "$@" > "$work/log.$name" 2>&1 || true
  read -r secs rss < "$work/time.$name"
  printf '%-28s %8.2f s %8d MB\n' "$name" "$secs" "$((rss / 1024))"
  eval "t_${name//-/_}=$secs"
}
echo "capture: $cap ($(du -h "$cap" | cut -f1), $calls concurrent calls)"
run readloop "$bld/bench/readloop" "$cap"
run readloop-decode "$bld/bench/readloop" --decode "$work/all.pcm" "$cap"
run readloop-decode-twice "$bld/bench/readloop" --decode "$work/all.pcm" --twice "$work/all2.pcm" "$cap"
run callextract "$bld/tools/callextract" "$cap" -o "$work/out" -q
run callextract-no-audio "$bld/tools/callextract" "$cap" -o "$work/out" -q --no-audio
if command -v tshark >/dev/null; then
  run tshark-rtp-streams tshark -n -q -r "$cap" -z rtp,streams
  run tshark-sip-stat tshark -n -q -r "$cap" -z sip,stat
fi
rm -f "$work/all.pcm" "$work/all2.pcm"; rm -rf "$work/out"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "callextract --no-audio / readloop:         $(ratio "$t_callextract_no_audio" "$t_readloop")"
echo "callextract (full job) / readloop-decode:  $(ratio "$t_callextract" "$t_readloop_decode")"
echo "callextract (full job) / readloop-decode-twice (same bytes written): $(ratio "$t_callextract" "$t_readloop_decode_twice")"
if [ -n "${t_tshark_rtp_streams:-}" ]; then
  echo "tshark -z rtp,streams / callextract:       $(ratio "$t_tshark_rtp_streams" "$t_callextract")"
  echo "tshark -z sip,stat / callextract:          $(ratio "$t_tshark_sip_stat" "$t_callextract")"
fi
