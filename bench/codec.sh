#!/usr/bin/env bash
# Codec benchmark: a capture of Opus and G.722 calls (frames taken once from
# the baresip fixtures, fixtures/codec-opus.pcap and codec-g722.pcap, sent in
# a loop by gen-capture -k), callextract's full job against bench/decodeloop,
# which only decodes the same payloads with the same libavcodec decoders.
# Goal: full job within 1.3x of the decode loop.
# Usage: bench/codec.sh [SIZE [CONCURRENT]]   (default 20M, 100 calls of 60 s)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
size=${1:-20M}
conc=${2:-100}
bench_build
py=/usr/bin/python3
frames() { # fixture pt encoding step out
  { echo "$2 $3 $4"
    "$py" "$top/tests/tools/rtp_payloads.py" "$top/fixtures/$1" --port "$5" | cut -f2
  } > "$6"
}
port() { "$py" "$top/tests/tools/rtp_payloads.py" "$top/fixtures/$1" --sdp | awk -F'\t' '/^INVITE/ { sub("port ", "", $2); print $2; exit }'; }
frames codec-opus.pcap 96 opus/48000/2 960 "$(port codec-opus.pcap)" "$work/opus.frames"
frames codec-g722.pcap 9 G722/8000 160 "$(port codec-g722.pcap)" "$work/g722.frames"
cap=$work/codec-$size.pcap
[ -f "$cap" ] || "$gen" -s "$size" -n "$conc" -k "$work/opus.frames" -k "$work/g722.frames" "$cap"
dec=$bld/bench/decodeloop
run() { # label command...
  local label=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>&1
  read -r t u s m < "$work/time"
  local cpu
  cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
  printf '%-34s %8.2f s elapsed %8.2f s CPU (user+sys) %8d KB peak RSS\n' "$label" "$t" "$cpu" "$m" >&2
  # the ratio is taken on CPU time: on a shared machine elapsed time is
  # mostly waiting for a core
  echo "$cpu"
}
t_dec=$(run "decode loop (libavcodec only)" "$dec" "$cap" 96=opus:48000:1 9=g722:16000:1)
rm -rf "$work/out"
sleep "${BENCH_SETTLE:-0}"
t_cx=$(run "callextract full job" "$cx" "$cap" -o "$work/out")
rm -rf "$work/out"
sleep "${BENCH_SETTLE:-0}"
t_cx1=$(run "callextract --threads 1" "$cx" --threads 1 "$cap" -o "$work/out")
t_na=$(run "callextract --no-audio" "$cx" --no-audio "$cap" -o "$work/out2")
rm -rf "$work/out" "$work/out2"
r=$(ratio "$t_cx" "$t_dec")
echo "capture $(stat -c %s "$cap") bytes; CPU time, full job / decode loop: $r ($(verdict "$r" '<=' 1.3) goal 1.3x); --threads 1: $(ratio "$t_cx1" "$t_dec")x; --no-audio: $(ratio "$t_na" "$t_dec")x"
