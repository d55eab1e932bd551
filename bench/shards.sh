#!/usr/bin/env bash
# Shards on Dask (doc/distributed.md): a generated capture of many short
# calls (gen-capture -n 200 -d 2: 2 s calls, 200 at a time) of SIZE,
# rotated into FILES files as tcpdump -C would; then, in one run:
#   readloop (plain pcap_next_ex) on the whole capture,
#   the single pass (callextract FILES... -o), and
#   callextract-dask on a LocalCluster of 1 and of 2 workers,
# with time, peak RSS (per shard task: the largest), the shard stage's
# own figures (index, shards, gather: DIR/shards.json), the check that
# every call folder is the single pass's, and a projection for 1 TB on
# 50 workers from the measured work per GB.
# usage: bench/shards.sh [SIZE (default 1G)] [FILES (default 64)]
# needs: /usr/bin/python3 with python3-distributed, /usr/bin/time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
size=${1:-1G}
nfiles=${2:-64}
bench_build
cap=$work/shards-$size.pcap
[ -f "$cap" ] || { "$gen" -s "$size" -n 200 -d 2 "$cap.part" >/dev/null && mv "$cap.part" "$cap"; }
rot=$work/rot-$size-$nfiles
if [ ! -f "$rot/done" ]; then
  rm -rf "$rot"; mkdir -p "$rot"
  # records cut evenly by count, streamed (the capture may not fit in memory)
  /usr/bin/python3 - "$cap" "$nfiles" "$rot" <<'PY'
import struct, sys
cap, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(cap, 'rb') as f:
    head = f.read(24); total = 0
    while True:
        h = f.read(16)
        if len(h) < 16: break
        f.seek(struct.unpack('<IIII', h)[2], 1); total += 1
per = -(-total // n)
with open(cap, 'rb') as f:
    f.read(24); k = 0
    for i in range(n):
        with open('%s/rot-%03d.pcap' % (out, i), 'wb') as o:
            o.write(head)
            for _ in range(per):
                h = f.read(16)
                if len(h) < 16: break
                o.write(h + f.read(struct.unpack('<IIII', h)[2])); k += 1
print('%d records in %d files' % (k, n))
PY
  touch "$rot/done"
fi
files=("$rot"/rot-*.pcap)
bytes=$(stat -c %s "$cap")
echo "capture: $(basename "$cap"), $((bytes / 1048576)) MiB, ${#files[@]} files"

# every shard task through /usr/bin/time: its time and peak RSS
wrap=$work/cx-timed
cat > "$wrap" <<SH
#!/bin/sh
exec /usr/bin/time -a -o "$work/tasks.log" -f "%e %M \$1" "$cx" "\$@"
SH
chmod +x "$wrap"

measure "readloop" "$cap" "$readloop" "$cap"
measure "single pass" "$cap" "$cx" -q --no-progress "${files[@]}" -o "$work/out"
rm -rf "$work/single"; mv "$work/out" "$work/single"
for w in 1 2; do
  rm -f "$work/tasks.log"
  measure "dask, $w worker(s)" "$cap" /usr/bin/python3 "$top/python/callextract-dask" --workers "$w" \
    --exe "$wrap" "${files[@]}" -o "$work/out"
  cp "$work/tasks.log" "$work/tasks-$w.log"
  cp "$work/out/shards.json" "$work/shards-$w.json"
  same=$(/usr/bin/python3 - "$work/single/calls" "$work/out/calls" <<'PY'
import filecmp, os, sys
a, b = sys.argv[1:]
ca, cb = sorted(os.listdir(a)), sorted(os.listdir(b))
bad = 0 if ca == cb else 1
for c in ca:
    if c in cb:
        for f in os.listdir(os.path.join(a, c)):
            if f != 'index.html' and not filecmp.cmp(os.path.join(a, c, f), os.path.join(b, c, f), shallow=False):
                bad += 1
import json
ra = json.load(open(os.path.join(os.path.dirname(a), 'report.json')))
rb = json.load(open(os.path.join(os.path.dirname(b), 'report.json')))
secs = [k for k in rb if k not in ('not_merged', 'capture')]
skip = [nm.split('.', 1)[1] for nm in rb['not_merged'] if nm.startswith('findings.')]
ra['findings'] = [f for f in ra['findings'] if f['kind'] not in skip]  # those it names as not merged
diff = [k for k in secs if ra.get(k) != rb[k]]
print('%d calls, %s; merged report: %s' % (len(ca), 'every folder identical (index.html aside)' if not bad else
      '%d differences' % bad, 'sections %s as the single pass\'s' % ', '.join(secs) if not diff else
      'DIFFERS in ' + ', '.join(diff)))
PY
)
  echo "    $same"
  rm -rf "$work/out"
  D[$w]=$(/usr/bin/python3 -c "
import json; s = json.load(open('$work/shards-$w.json'))
t = [l.split() for l in open('$work/tasks-$w.log') if l[0].isdigit()]
sh = [float(x[0]) for x in t if x[2] not in ('index', 'merge')]; ix = [float(x[0]) for x in t if x[2] == 'index']
mg = [x for x in t if x[2] == 'merge']
print('%.2f %.2f %.3f %d %d %.1f %.1f %d %.3f %d' % (s['seconds']['index'], s['seconds']['shards'], s['seconds']['gather'],
      s['reruns'], max(int(x[1]) for x in t if x[2] != 'merge') // 1024, sum(sh), sum(ix), len(sh), s['seconds']['merge'],
      max([int(x[1]) for x in mg] or [0]) // 1024))")
  read -r ix sh ga re rss work_sh work_ix ntasks mg mgrss <<< "${D[$w]}"
  echo "    stages: index ${ix} s, shards ${sh} s, gather ${ga} s, merge ${mg} s (RSS ${mgrss} MB); ${ntasks} shard tasks (${re} run again from earlier); task work ${work_sh} s + index ${work_ix} s; largest task RSS ${rss} MB"
done
rm -rf "$work/single"
echo
echo "2 workers against 1: $(ratio "${T[dask, 1 worker(s)]}" "${T[dask, 2 worker(s)]}")x faster (goal >= 1.8: $(verdict "$(ratio "${T[dask, 1 worker(s)]}" "${T[dask, 2 worker(s)]}")" '>=' 1.8))"
echo "single pass against 2 workers: $(ratio "${T[single pass]}" "${T[dask, 2 worker(s)]}")x; single pass / readloop: $(ratio "${T[single pass]}" "${T[readloop]}")x"
read -r ix sh ga re rss work_sh work_ix ntasks mg mgrss <<< "${D[2]}"
echo "merge: ${mg} s of ${T[dask, 2 worker(s)]} s with 2 workers ($(/usr/bin/python3 -c "print('%.1f' % (100 * $mg / ${T[dask, 2 worker(s)]}))") %, goal < 5 %)"
/usr/bin/python3 - "$bytes" "$work_sh" "$work_ix" "$ga" "${T[single pass]}" "$mg" <<'PY'
import sys
b, wsh, wix, ga, single, mg = (float(x) for x in sys.argv[1:])
gb = b / 2**30
per = (wsh + wix) / gb
tb = 1024 * per / 50
print('projection, 1 TB on 50 workers: %.0f s of task work per GB here -> %.0f s of shards (single pass here: %.0f s/GB,'
      ' so %.0f s for 1 TB on one machine); gather %.3f s for %.2f GB here, %.0f s per TB, serial; merge %.3f s here,'
      ' %.0f s per TB, serial (one task), so %.1f %% of the total at 1 TB' % (per, tb, single / gb, 1024 * single / gb,
      ga, gb, ga / gb * 1024, mg, mg / gb * 1024, 100 * (mg / gb * 1024) / (tb + (ga + mg) / gb * 1024)))
PY
