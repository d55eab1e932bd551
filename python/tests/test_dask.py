#!/usr/bin/python3
"""callextract-dask on a LocalCluster (loopback only): 2 and 4 workers, and
2 workers of which one is killed mid-run, against the single pass on the
same files. A generated capture (gen-capture: REGISTER with digest, calls
with RTP, RTCP and STUN) rotated into files as tcpdump -C would.

Compared: every call folder, file by file, byte for byte, except the
call's index.html page, which shows what the whole capture knows of each
party (the merge does not write it yet: doc/distributed.md); and the
merged report.json, section by section as written, and credentials/.
usage: test_dask.py CALLEXTRACT GEN_CAPTURE. TAP."""
import filecmp, os, shutil, signal, subprocess, sys, tempfile

here = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, os.path.dirname(here))
import callextract_dask  # noqa: E402

exe, gen = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
n = 0
bad = 0


def ok(cond, what, detail=''):
    global n, bad
    n += 1
    print('%s %d - %s' % ('ok' if cond else 'not ok', n, what))
    if not cond:
        bad += 1
        for line in str(detail).splitlines()[:8]:
            print('# ' + line[:300])


def compare(a, b):
    """Differences between two calls/ trees (index.html pages aside)."""
    out = []
    da, db = sorted(os.listdir(a)), sorted(os.listdir(b))
    if da != db:
        out.append('folders differ: %s' % sorted(set(da) ^ set(db))[:5])
    for c in da:
        if c not in db:
            continue
        fa = sorted(x for x in os.listdir(os.path.join(a, c)) if x != 'index.html')
        fb = sorted(x for x in os.listdir(os.path.join(b, c)) if x != 'index.html')
        if fa != fb:
            out.append('%s: files %s' % (c, sorted(set(fa) ^ set(fb))))
        for f in fa:
            if f in fb and not filecmp.cmp(os.path.join(a, c, f), os.path.join(b, c, f), shallow=False):
                out.append('%s/%s differs' % (c, f))
    return out


def sections(path):
    """Top-level members of a report.json as written: {key: bytes}."""
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


def report_diff(single, out):
    """Sections of out/report.json that are not the single pass's (those
    it names as not merged aside, and the capture section's file paths,
    which are the same files)."""
    import json
    a, b = sections(os.path.join(single, 'report.json')), sections(os.path.join(out, 'report.json'))
    merged = json.load(open(os.path.join(out, 'report.json')))
    ref = json.load(open(os.path.join(single, 'report.json')))
    bad = [k for k in b if k not in ('not_merged', 'capture', 'findings') and a.get(k) != b[k]]
    skip = [nm.split('.', 1)[1] for nm in merged['not_merged'] if nm.startswith('findings.')]
    if [f for f in ref['findings'] if f['kind'] not in skip] != merged['findings']:
        bad.append('findings')
    for nm in merged['not_merged']:
        if nm.startswith('capture.'):
            o = ref
            for q in nm.split('.')[:-1]:
                o = o[q]
            o.pop(nm.split('.')[-1], None)
    if ref['capture'] != merged['capture']:
        bad.append('capture: ' + ', '.join(k for k in ref['capture'] if ref['capture'][k] != merged['capture'].get(k)))
    ca, cb = os.path.join(single, 'credentials'), os.path.join(out, 'credentials')
    for f in sorted(os.listdir(ca)):
        if not os.path.exists(os.path.join(cb, f)) or not filecmp.cmp(os.path.join(ca, f), os.path.join(cb, f), shallow=False):
            bad.append('credentials/' + f)
    return bad


def split(cap, per, prefix):
    """Classic pcap cut every `per` records, like tcpdump -C."""
    import struct
    with open(cap, 'rb') as f:
        head = f.read(24)
        recs = []
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            recs.append(h + f.read(struct.unpack('<IIII', h)[2]))
    paths = []
    for i in range(0, len(recs), per):
        p = '%s%03d.pcap' % (prefix, i // per)
        with open(p, 'wb') as f:
            f.write(head + b''.join(recs[i:i + per]))
        paths.append(p)
    return paths


def main():
    from distributed import Client, LocalCluster
    tmp = tempfile.mkdtemp(prefix='cx-dask-')
    try:
        cap = os.path.join(tmp, 'g.pcap')
        subprocess.run([gen, '-n', '20', '-d', '2', '-c', '120', cap], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        files = split(cap, 4000, os.path.join(tmp, 'rot-'))
        single = os.path.join(tmp, 'single')
        subprocess.run([exe, '-q', '--threads', '1'] + files + ['-o', single], check=True)
        ncalls = len(os.listdir(os.path.join(single, 'calls')))
        ok(ncalls == 120 and len(files) >= 6, 'generated capture: %d calls in %d files' % (ncalls, len(files)))
        for workers in (2, 4):
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
                    Client(cl) as client:
                out = os.path.join(tmp, 'dask%d' % workers)
                s = callextract_dask.run(client, exe, files, out, options=['--threads=1'], log=open(os.devnull, 'w'))
                ok(not s['failed'] and len(s['shards']) == len(files),
                   '%d workers: one shard per file, none failed (%d run again from earlier)' % (workers, s['reruns']), s)
                d = compare(os.path.join(single, 'calls'), os.path.join(out, 'calls'))
                ok(not d, '%d workers: the %d call folders are the single pass\'s, byte for byte' % (workers, ncalls),
                   '\n'.join(d))
                r = report_diff(single, out)
                ok(not r, '%d workers: the merged report.json and credentials/ are the single pass\'s' % workers,
                   '\n'.join(r))
        # a worker killed once the first shard is in: Dask runs its work again
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
                Client(cl) as client:
            killed = []

            def kill_one(sj):
                if killed:
                    return
                pids = client.run(os.getpid)
                victim = sorted(pids.values())[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

            out = os.path.join(tmp, 'killed')
            s = callextract_dask.run(client, exe, files, out, options=['--threads=1'], log=open(os.devnull, 'w'),
                                     on_shard=kill_one)
            ok(killed and not s['failed'] and len(s['shards']) == len(files),
               'a worker killed mid-run (pid %s): every shard still done' % (killed[0] if killed else '-'), s)
            d = compare(os.path.join(single, 'calls'), os.path.join(out, 'calls'))
            ok(not d, 'a worker killed mid-run: the call folders are still the single pass\'s', '\n'.join(d))
            r = report_diff(single, out)
            ok(not r, 'a worker killed mid-run: the merged report is still the single pass\'s', '\n'.join(r))
        # a file that is not a capture: reported, the others done as the
        # single pass does them (it leaves such a file out too)
        broken = os.path.join(tmp, 'broken.pcap')
        with open(broken, 'wb') as f:
            f.write(b'not a capture at all, but long enough to be opened and refused\n')
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
                Client(cl) as client:
            out = os.path.join(tmp, 'broken')
            s = callextract_dask.run(client, exe, files + [broken], out, options=['--threads=1'],
                                     log=open(os.devnull, 'w'))
            ok([f['file'] for f in s['failed']] == [broken] and len(s['shards']) == len(files),
               'a file that is not a capture is reported, every other file still done', s['failed'])
            d = compare(os.path.join(single, 'calls'), os.path.join(out, 'calls'))
            ok(not d, 'beside a file that is not a capture: the call folders are the single pass\'s', '\n'.join(d))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print('1..%d' % n)
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
