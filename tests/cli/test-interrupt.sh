#!/usr/bin/env bash
# Interrupted file runs keep their results: SIGTERM stops reading, finishes
# every open call and writes the report (exit 1); after SIGKILL every call
# whose call.json is on disk is complete (call.json parses, every WAV's
# RIFF header matches its file). Prints TAP.
set -u
exe=$1
gen=$2
. "$(dirname "$0")/tap.sh"

# 4000 calls of 2 s, 200 at a time: about 200 MB, several seconds of work.
"$gen" -n 200 -d 2 -c 4000 -s 1G "$tmp/cap.pcap" 2>/dev/null

# Checks every call folder that has a call.json: it parses, and each WAV
# in it is a whole RIFF file. Prints the number of such folders.
complete_calls() {
  python3 - "$1" <<'PY'
import json, os, struct, sys
root = os.path.join(sys.argv[1], "calls")
done = 0
for d in sorted(os.listdir(root)) if os.path.isdir(root) else []:
    p = os.path.join(root, d)
    if not os.path.exists(os.path.join(p, "call.json")):
        continue
    json.load(open(os.path.join(p, "call.json")))
    for f in os.listdir(p):
        if not f.endswith(".wav"):
            continue
        b = open(os.path.join(p, f), "rb").read()
        assert b[:4] == b"RIFF" and b[8:12] == b"WAVE", f
        assert struct.unpack("<I", b[4:8])[0] == len(b) - 8, (p, f, "RIFF size")
        i = 12
        while i + 8 <= len(b):
            cid, size = b[i:i + 4], struct.unpack("<I", b[i + 4:i + 8])[0]
            if cid == b"data":
                assert i + 8 + size == len(b), (p, f, "data size")
                break
            i += 8 + size + (size & 1)
        else:
            raise AssertionError((p, f, "no data chunk"))
    done += 1
print(done)
PY
}

# SIGTERM in the middle of a file run.
"$exe" "$tmp/cap.pcap" -o "$tmp/term" -q 2> "$tmp/term.err" &
pid=$!
sleep 1
kill -TERM $pid
wait $pid; rc=$?
check "SIGTERM: exit 1" test $rc -eq 1
check "SIGTERM: says it was interrupted" grep -q "interrupted after" "$tmp/term.err"
check "SIGTERM: report.json parses and counts the interruption" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["capture"]["errors"]["capture"]["interrupted"] == 1
assert r["capture"]["frames"] > 0 and r["dialogs"]' "$tmp/term/report.json"
check "SIGTERM: summary.txt written" grep -q "^== Calls ==" "$tmp/term/summary.txt"
check "SIGTERM: no temporary or spill file left" test ! -e "$tmp/term/report.json.tmp" -a ! -e "$tmp/term/spill"
c=$(complete_calls "$tmp/term"); 
check "SIGTERM: every call folder complete ($c)" test "${c:-0}" -gt 0
check "SIGTERM: a call.json for every call in the report" python3 -c '
import json, os, sys
r = json.load(open(sys.argv[1] + "/report.json"))
for d in r["dialogs"]:
    if d.get("folder"):
        assert os.path.exists(os.path.join(sys.argv[1], d["folder"], "call.json")), d["folder"]' "$tmp/term"

# SIGKILL: no chance to clean up; what was finished must be whole.
"$exe" "$tmp/cap.pcap" -o "$tmp/kill" -q 2>/dev/null &
pid=$!
# kill once some calls have been finished (slow builds take longer)
for i in $(seq 1 300); do
  ls "$tmp"/kill/calls/*/call.json >/dev/null 2>&1 && break
  sleep 0.1
done
sleep 0.3
kill -KILL $pid
wait $pid 2>/dev/null
c=$(complete_calls "$tmp/kill") || c=
check "SIGKILL: every call with a call.json is whole (${c:-error})" test -n "$c"
check "SIGKILL: calls were finished before the kill (${c:-0})" test "${c:-0}" -gt 0
check "SIGKILL: no half report.json" test ! -e "$tmp/kill/report.json" -o -s "$tmp/kill/report.json"
tap_end
