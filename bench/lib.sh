# shellcheck shell=bash disable=SC2034
# Shared by bench/run.sh and bench/memory.sh (sourced, not run).
# Environment: BENCH_DIR (default /tmp/callextract-bench), BENCH_SETTLE
# (seconds to wait after deleting outputs, default 40; 0 for quick runs),
# BENCH_JOBS (ninja -j for the release build; default ninja's own),
# BENCH_THREADS (auto|yes|no: the --threads 1/2 rows, default auto).

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bld=$top/build-bench
work=${BENCH_DIR:-/tmp/callextract-bench}
settle=${BENCH_SETTLE:-40}
gen=$bld/bench/gen-capture
readloop=$bld/bench/readloop
cx=$bld/tools/callextract

bench_build() {
  command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
  mkdir -p "$work"
  if [ ! -d "$bld" ]; then
    meson setup "$bld" "$top" --buildtype=release -Dtests=false >/dev/null
  fi
  ninja -C "$bld" ${BENCH_JOBS:+-j "$BENCH_JOBS"} >/dev/null
}

# Bytes in SIZE[K|M|G] (gen-capture's notation; binary units).
size_bytes() {
  awk -v s="$1" 'BEGIN {
    u = substr(s, length(s)); v = s + 0
    m = u == "G" ? 2^30 : u == "M" ? 2^20 : u == "K" ? 2^10 : 1
    printf "%.0f", v * m }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# "met" / "not met" for VALUE OP GOAL (OP is >= or <=); n/a passes through.
verdict() {
  [ "$1" = n/a ] && { echo "n/a"; return; }
  awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN {
    ok = op == ">=" ? v >= g : v <= g; print ok ? "met" : "NOT met" }'
}

# Does callextract's --threads set the pipeline's threads? Sets threads
# (yes/no) and, when no, threads_note (why). BENCH_THREADS=yes|no overrides.
threads_check() {
  threads=no threads_note=""
  case ${BENCH_THREADS:-auto} in
    yes) threads=yes; return ;;
    no) threads_note="skipped (BENCH_THREADS=no)"; return ;;
  esac
  local line
  line=$("$cx" --help 2>&1 | grep -E -- '--threads' | sed 's/^ *//; s/  */ /g' || true)
  if [ -z "$line" ]; then
    threads_note="skipped: callextract --help lists no --threads"
  elif echo "$line" | grep -qi 'for the password audit'; then
    threads_note="skipped: --threads is only for the password audit ('$line'; BENCH_THREADS=yes forces the rows)"
  else
    threads=yes
  fi
}

# Read FILE into the page cache if it fits in half the available memory.
warm() {
  local bytes avail
  bytes=$(stat -c %s "$1")
  avail=$(awk '/^MemAvailable:/ { printf "%.0f", $2 * 1024 }' /proc/meminfo)
  if [ "$bytes" -lt $((avail / 2)) ]; then
    cat "$1" > /dev/null
  else
    [ -n "${warm_said:-}" ] || echo "note: $(basename "$1") does not fit in the page cache: read from disk" >&2
    warm_said=1
  fi
}

# measure KEY CAPTURE COMMAND...: deletes the outputs, syncs, waits
# $settle s (ext4 skips inodes freed in the last ~35 s when it allocates
# new ones, which would charge the previous run's deletion to the next
# one's file creation: the tool creates thousands of files, the loops one
# or two), reads the capture back into the page cache (tshark's 1 GB may
# have pushed it out), then runs COMMAND under /usr/bin/time. Sets
# T[KEY] (s), R[KEY] (peak RSS, KB) and X[KEY] (exit status), and prints
# a table row. Outputs go to $work/out, $work/all.pcm, $work/all2.pcm.
declare -A T R X
measure() {
  local key=$1 cap=$2; shift 2
  local name=${key#*:}
  rm -rf "$work/out" "$work/all.pcm" "$work/all2.pcm"; sync; sleep "$settle"
  warm "$cap"
  local tf=$work/time.${key//[:\/]/_} rc=0
  /usr/bin/time -f "%e %M %x" -o "$tf" "$@" > "$work/log.${key//[:\/]/_}" 2>&1 || rc=$?
  local secs rss st
  read -r secs rss st < <(tail -n 1 "$tf")
  T[$key]=$secs R[$key]=$rss X[$key]=${st:-$rc}
  local note=""
  [ "${X[$key]}" = 0 ] || note="  (exit ${X[$key]}, see $work/log.${key//[:\/]/_})"
  printf '  %-32s %8.2f s %8d MB%s\n' "$name" "$secs" "$((rss / 1024))" "$note"
}

clean_outputs() { rm -rf "$work/out" "$work/all.pcm" "$work/all2.pcm"; }
