#!/usr/bin/env python3
"""Shard exactness at cut points (doc/distributed.md).

For each cut, a classic pcap is split into files at those frame positions;
each file is then read as a shard (callextract --shard, numbers from
callextract index), once with every earlier file as warm-up and once with
one earlier file only, and every call folder the shard owns (its name is
the number of the frame that began it) must be byte for byte the single
pass's: call.json, flow.txt, flow.svg, call.pcap, WAVs, pictures, page.
Every call of the single pass must be owned by exactly one shard. The
shards are then merged (callextract merge) and every section of the
merged report.json must be byte for byte that of a single pass over the
same files.

usage: cutcheck.py CALLEXTRACT CAPTURE WORKDIR [--every N] [--cuts A,B,..]
Prints one line per cut; exit 1 on any difference."""
import filecmp, json, os, shutil, struct, subprocess, sys

def records(path):
    with open(path, 'rb') as f:
        head = f.read(24)
        magic = head[:4]
        end = {b'\xd4\xc3\xb2\xa1': '<', b'\x4d\x3c\xb2\xa1': '<',
               b'\xa1\xb2\xc3\xd4': '>', b'\xa1\xb2\x3c\x4d': '>'}.get(magic)
        if not end:
            raise SystemExit('%s: not a classic pcap' % path)
        recs = []
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            n = struct.unpack(end + 'IIII', h)[2]
            recs.append(h + f.read(n))
    return head, recs

def write_split(head, recs, cuts, prefix):
    bounds = [0] + list(cuts) + [len(recs)]
    paths = []
    for i in range(len(bounds) - 1):
        p = '%s-%02d.pcap' % (prefix, i)
        with open(p, 'wb') as f:
            f.write(head)
            for r in recs[bounds[i]:bounds[i + 1]]:
                f.write(r)
        paths.append(p)
    return paths

def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode not in (0,):
        raise SystemExit('%s: exit %d\n%s' % (' '.join(cmd), r.returncode, r.stderr.decode(errors='replace')))
    return r.stdout.decode()

def folders(out):
    d = os.path.join(out, 'calls')
    return sorted(os.listdir(d)) if os.path.isdir(d) else []

def same_tree(a, b):
    """Names of files that differ or are missing, between two folders."""
    bad = []
    fa = sorted(os.listdir(a)); fb = sorted(os.listdir(b))
    if fa != fb:
        bad.append('files %s vs %s' % (sorted(set(fa) ^ set(fb)), ''))
    for n in fa:
        if n in fb and not filecmp.cmp(os.path.join(a, n), os.path.join(b, n), shallow=False):
            bad.append(n)
    return bad

def sections(path):
    """Top-level members of a report.json as written: {key: text}."""
    out, key, buf = {}, None, []
    with open(path, 'rb') as f:
        for line in f.read().split(b'\n'):
            if line.startswith(b'  "') and not line.startswith(b'   '):
                if key is not None:
                    out[key] = b'\n'.join(buf).rstrip().rstrip(b',')
                key = line[3:line.index(b'"', 3)].decode()
                buf = [line]
            elif key is not None and line != b'}':
                buf.append(line)
        if key is not None:
            out[key] = b'\n'.join(buf).rstrip().rstrip(b',')
    return out

def merge_check(exe, single, shards, out):
    """callextract merge of the shards against the single pass's report:
    every section it merges byte for byte (capture: as values, without the
    parts it names as not merged)."""
    run([exe, 'merge'] + shards + ['-o', out])
    rp = os.path.join(out, 'report.json')
    merged = json.load(open(rp))
    ref = json.load(open(os.path.join(single, 'report.json')))
    a, b = sections(os.path.join(single, 'report.json')), sections(rp)
    bad = []
    # findings it names as not merged are left out of it: the others, as values
    skip = [nm.split('.', 1)[1] for nm in merged['not_merged'] if nm.startswith('findings.')]
    for k in b:
        if k == 'not_merged':
            continue
        if k == 'findings' and skip:
            if [f for f in ref['findings'] if f['kind'] not in skip] != merged['findings']:
                bad.append('findings')
        elif k == 'capture':
            for nm in merged['not_merged']:
                if nm.startswith('capture.'):
                    o = ref
                    parts = nm.split('.')
                    for q in parts[:-1]:
                        o = o[q]
                    o.pop(parts[-1], None)
            if ref['capture'] != merged['capture']:
                bad.append('capture ' + ', '.join(sorted(x for x in ref['capture'] if ref['capture'][x] != merged['capture'].get(x))))
        elif a.get(k) != b[k]:
            bad.append(k)
    # the files it moves from the shards (FTP transfers) or writes (credentials)
    for sub in ('ftp', 'credentials'):
        da, db = os.path.join(single, sub), os.path.join(out, sub)
        if os.path.isdir(da) or os.path.isdir(db):
            if not (os.path.isdir(da) and os.path.isdir(db)):
                bad.append(sub + '/ missing')
            else:
                bad += ['%s/%s' % (sub, x) for x in same_tree(da, db)]
    return bad

def main():
    exe, cap, work = sys.argv[1:4]
    every, cutlist = 0, None
    args = sys.argv[4:]
    while args:
        if args[0] == '--every':
            every = int(args[1]); args = args[2:]
        elif args[0] == '--cuts':
            cutlist = [[int(x) for x in c.split('+')] for c in args[1].split(',')]; args = args[2:]
        else:
            raise SystemExit('unknown argument ' + args[0])
    head, recs = records(cap)
    os.makedirs(work, exist_ok=True)
    ref = os.path.join(work, 'single')
    shutil.rmtree(ref, ignore_errors=True)
    run([exe, '-q', '--threads', '1', cap, '-o', ref])
    ref_calls = folders(ref)
    if cutlist is None:
        step = every or max(1, len(recs) // 20)
        cutlist = [[c] for c in range(step, len(recs), step)]
    failures = 0
    for cuts in cutlist:
        cuts = [c for c in cuts if 0 < c < len(recs)]
        if not cuts:
            continue
        tag = '+'.join(map(str, cuts))
        d = os.path.join(work, 'cut-' + tag)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        parts = write_split(head, recs, cuts, os.path.join(d, 'part'))
        index = [json.loads(l) for l in run([exe, 'index'] + parts).splitlines()]
        order = [ix['path'] for ix in index]
        problems = []
        reruns = 0
        single = os.path.join(d, 'single')  # the same files, one pass
        run([exe, '-q', '--threads', '1'] + order + ['-o', single])
        for warm in ('all', '1'):
            owned = {}
            outs = []
            for k, ix in enumerate(index):
                if ix['frames'] == 0:
                    continue  # nothing to own
                own = ix['shard'].split(',')[-1]
                first = 0 if warm == 'all' else max(0, k - 1)
                base = index[first]['shard'].rsplit(',', 1)[0]
                out = os.path.join(d, 'shard-%s-%d' % (warm, k))
                run([exe, '-q', '--threads', '1', '--shard', base + ',' + own] + order[first:] + ['-o', out])
                with open(os.path.join(out, 'shard.json')) as f:
                    sj = json.load(f)
                if sj['uncertain'] and first > 0:
                    # it cannot tell a call begun before its warm-up: run
                    # again from the first file, as the driver does
                    reruns += 1
                    shutil.rmtree(out)
                    base = index[0]['shard'].rsplit(',', 1)[0]
                    run([exe, '-q', '--threads', '1', '--shard', base + ',' + own] + order + ['-o', out])
                outs.append(out)
                a, b = (int(x) for x in own.split('-'))
                for c in folders(out):
                    if a <= int(c.split('-', 1)[0]) <= b:
                        if c in owned:
                            problems.append('%s owned twice' % c)
                        owned[c] = out
            bad = merge_check(exe, single, outs, os.path.join(d, 'merged-' + warm))
            if bad:
                problems.append('warm-up %s: merged report differs in %s' % (warm, ', '.join(bad)))
            if sorted(owned) != ref_calls:
                problems.append('warm-up %s: calls %s, single pass %s' % (warm, sorted(owned), ref_calls))
            for c, out in sorted(owned.items()):
                if c in ref_calls:
                    bad = same_tree(os.path.join(ref, 'calls', c), os.path.join(out, 'calls', c))
                    if bad:
                        problems.append('warm-up %s: %s differs: %s' % (warm, c, ', '.join(bad)))
        if problems:
            failures += 1
            print('not ok cut %s: %s' % (tag, '; '.join(problems)))
        else:
            print('ok cut %s: %d calls, each owned once, identical%s' % (tag, len(ref_calls),
                  ' (%d shard(s) uncertain with one file of warm-up, run again from the start)' % reruns if reruns else ''))
            shutil.rmtree(d, ignore_errors=True)
    sys.exit(1 if failures else 0)

main()
