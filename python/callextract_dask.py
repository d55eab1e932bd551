"""callextract on a Dask cluster: one task per capture file (doc/distributed.md).

The C tool is the engine of every task; Dask distributes them, retries
those of a lost worker, and shows its progress on its dashboard. Stages:

1. index: one task per file, `callextract index FILE` (a read of its
   records): frames, first and last time, lifecycle clock advance.
2. chain: here, the numbers each shard needs to count as the single pass
   (the same sums as src/shard/index.c cx_index_chain).
3. shards: one task per non-empty file K, `callextract --shard` on files
   K-W .. last (W files of warm-up; the shard reads on past file K only
   while a call it owns is open). A shard that reports an owned call it
   cannot tell from a continuation (`uncertain`) is run again from the
   first file.
4. gather: each call folder is moved from the shard that owns it (its
   name is the number of the frame that began it) into DIR/calls/.
5. merge: one task, `callextract merge`, writes DIR/report.json and
   DIR/credentials/ and moves the FTP files from the shards' records.

Files must be on a path every worker sees (NFS, a mounted bucket)."""
import json
import os
import shutil
import subprocess
import sys
import time

LIFE_MAX_JUMP_NS = 600 * 1000000000  # CX_LIFE_MAX_JUMP_NS (include/callextract/ctx.h)


def life_step(prev, ts):
    d = ts - prev
    return 0 if d <= 0 else min(d, LIFE_MAX_JUMP_NS)


def index_file(exe, path):
    """Task: the record walk of one file."""
    r = subprocess.run([exe, 'index', path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode == 3:  # not a capture, or not readable: left out, as the single pass leaves it
        return {'path': path, 'error': r.stderr.decode(errors='replace').strip()}
    if r.returncode not in (0, 1):
        raise RuntimeError('%s: %s' % (path, r.stderr.decode(errors='replace').strip()))
    ix = json.loads(r.stdout.decode().splitlines()[0])
    ix['damaged'] = r.returncode == 1
    ix['path'] = path
    return ix


def chain(index):
    """The files in the single pass's order, each with the --shard argument
    of a shard that starts there and owns its frames."""
    order = sorted(range(len(index)), key=lambda i: (index[i]['sort_ts'], i))
    out, frames, life, prev, origin, seen = [], 0, 0, 0, 0, False
    for i in order:
        ix = dict(index[i])
        ix['frames_before'] = frames
        ix['life_ns'] = life
        ix['prev_ts'] = prev if seen else ix['first_ts']
        ix['own'] = (frames + 1, frames + ix['frames'])
        if ix['frames']:
            if not seen:
                origin = ix['first_ts']
            life += (life_step(prev, ix['first_ts']) if seen else 0) + ix['life_within']
            prev = ix['last_ts']
            seen = True
        frames += ix['frames']
        out.append(ix)
    for ix in out:
        ix['origin_ts'] = origin
    return out


def shard_arg(files, first, k):
    """--shard for a shard owning file k that starts reading at file first."""
    b, o = files[first], files[k]
    return '%d,%d,%d,%d,%d-%d' % (b['frames_before'], b['origin_ts'], b['life_ns'], b['prev_ts'],
                                   o['own'][0], o['own'][1])


def run_shard(exe, files, k, first, outdir, options):
    """Task: one shard. Returns its shard.json, with where it started."""
    shutil.rmtree(outdir, ignore_errors=True)
    cmd = [exe, '-q', '--no-progress', '--shard', shard_arg(files, first, k)] + list(options) + \
          [f['path'] for f in files[first:]] + ['-o', outdir]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode not in (0, 1):
        raise RuntimeError('shard %d: exit %d: %s' % (k, r.returncode, r.stderr.decode(errors='replace').strip()))
    with open(os.path.join(outdir, 'shard.json')) as f:
        sj = json.load(f)
    sj['exit'] = r.returncode
    sj['started_at_file'] = first
    sj['dir'] = outdir
    return sj


def owned_folders(sj):
    d = os.path.join(sj['dir'], 'calls')
    a, b = sj['own_first'], sj['own_last']
    names = sorted(os.listdir(d)) if os.path.isdir(d) else []
    return [n for n in names if n.split('-', 1)[0].isdigit() and a <= int(n.split('-', 1)[0]) <= b]


def gather(shards, outdir):
    """Moves every owned call folder into outdir/calls (a rename when the
    shards are on the same file system as outdir)."""
    calls = os.path.join(outdir, 'calls')
    os.makedirs(calls, exist_ok=True)
    n = 0
    for sj in shards:
        for name in owned_folders(sj):
            dst = os.path.join(calls, name)
            if os.path.exists(dst):
                raise RuntimeError('call %s owned by two shards' % name)
            shutil.move(os.path.join(sj['dir'], 'calls', name), dst)
            n += 1
    return n


def run_merge(exe, dirs, outdir):
    """The merge task: report.json, credentials/ and ftp/ of outdir."""
    r = subprocess.run([exe, 'merge'] + dirs + ['-o', outdir], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError('callextract merge: exit %d: %s' % (r.returncode, r.stderr.decode(errors='replace')))
    return outdir


MERGE_INPUTS = ('shard.json', 'report.json', 'shard.records', 'shard.names', 'ftp')


def prune(sj, keep=('shard.json', 'report.json')):
    """What a shard wrote for calls it does not own is not needed once the
    owned ones are gathered (before the merge: what it reads stays) and
    merged (then only its shard.json and report.json stay)."""
    for name in os.listdir(sj['dir']):
        if name not in keep:
            p = os.path.join(sj['dir'], name)
            shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)


def run(client, exe, captures, outdir, warmup=1, options=(), log=sys.stderr, retries=2, on_shard=None,
        keep_shards=False):
    """The whole job on a distributed.Client. Returns a summary dict and
    writes outdir/shards.json."""
    from distributed import as_completed
    exe = os.path.abspath(exe)
    captures = [os.path.abspath(c) for c in captures]
    outdir = os.path.abspath(outdir)
    os.makedirs(outdir, exist_ok=True)
    sdir = os.path.join(outdir, '.shards')
    os.makedirs(sdir, exist_ok=True)
    t0 = time.monotonic()
    futs = [client.submit(index_file, exe, c, key='index-%d-%s' % (i, os.path.basename(c)), retries=retries,
                          pure=False) for i, c in enumerate(captures)]
    index = client.gather(futs)
    failed = [{'file': ix['path'], 'error': ix['error']} for ix in index if 'error' in ix]
    for f in failed:
        print('callextract-dask: %s' % f['error'], file=log)
    files = chain([ix for ix in index if 'error' not in ix])
    t_index = time.monotonic() - t0
    # Shards are handed out in file order, a few more than there are
    # workers at a time, so that when one shows the warm-up too short (a
    # call longer than W files), the files not yet handed out start with
    # the longer warm-up rather than each finding it out again.
    jobs = {}
    todo = [k for k, f in enumerate(files) if f['frames']]
    nshards = len(todo)
    nworkers = max(1, len(client.scheduler_info().get('workers', {})))
    limit = 2 * nworkers
    w = max(1, warmup)
    done = []
    reruns = 0

    def submit(k, first):
        fut = client.submit(run_shard, exe, files, k, first, os.path.join(sdir, '%06d' % k), list(options),
                            key='shard-%d-from-%d' % (k, first), retries=retries, pure=False)
        jobs[fut] = (k, first)
        return fut

    ac = as_completed([])
    while todo and len(jobs) < limit:
        k = todo.pop(0)
        ac.add(submit(k, max(0, k - w)))
    for fut in ac:
        k, first = jobs.pop(fut)
        try:
            sj = fut.result()
        except Exception as e:  # the shard failed for its input: reported, the rest still gathered
            failed.append({'file': files[k]['path'], 'error': str(e)})
            print('callextract-dask: shard %d (%s) failed: %s' % (k, os.path.basename(files[k]['path']), e), file=log)
            sj = None
        if sj is not None and sj['uncertain'] and first > 0:
            # twice the warm-up, for this shard and every one after it
            w = max(w, 2 * (k - first))
            nfirst = max(0, k - w)
            ac.add(submit(k, nfirst))
            reruns += 1
            print('callextract-dask: shard %d: a call begun mid-way (frame %s): run again from file %d'
                  % (k, sj['uncertain_frame'], nfirst), file=log)
        elif sj is not None:
            done.append(sj)
            if on_shard:
                on_shard(sj)
            print('callextract-dask: shard %d/%d done (%s, frames %d-%d, from file %d)'
                  % (len(done), nshards, os.path.basename(files[k]['path']), sj['own_first'], sj['own_last'], first),
                  file=log)
        while todo and len(jobs) < limit:
            k2 = todo.pop(0)
            ac.add(submit(k2, max(0, k2 - w)))
    t_shards = time.monotonic() - t0 - t_index
    done.sort(key=lambda s: s['own_first'])
    t1 = time.monotonic()
    ncalls = gather(done, outdir)
    if not keep_shards:
        for sj in done:
            prune(sj, MERGE_INPUTS)
    t_gather = time.monotonic() - t1
    t2 = time.monotonic()
    if done:
        client.submit(run_merge, exe, [s['dir'] for s in done], outdir, key='merge', retries=retries,
                      pure=False).result()
    t_merge = time.monotonic() - t2
    if not keep_shards:
        for sj in done:
            prune(sj)
    summary = {'files': [{k: f[k] for k in ('path', 'frames', 'first_ts', 'last_ts', 'damaged')} for f in files],
               'shards': [{k: s[k] for k in ('own_first', 'own_last', 'started_at_file', 'uncertain', 'stopped_early',
                                             'exit')} for s in done],
               'failed': failed, 'calls': ncalls, 'reruns': reruns, 'warmup_files': w,
               'seconds': {'index': round(t_index, 3), 'shards': round(t_shards, 3), 'gather': round(t_gather, 3),
                           'merge': round(t_merge, 3)}}
    with open(os.path.join(outdir, 'shards.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    return summary


def main(argv=None):
    import argparse
    p = argparse.ArgumentParser(prog='callextract-dask', description=__doc__.split('\n\n')[0])
    p.add_argument('captures', nargs='+', metavar='CAPTURE')
    p.add_argument('-o', '--output', required=True, metavar='DIR')
    p.add_argument('--scheduler', metavar='tcp://HOST:8786', help='a running dask-scheduler (default: a LocalCluster)')
    p.add_argument('--workers', type=int, default=os.cpu_count() or 1, help='LocalCluster workers (default: cores)')
    p.add_argument('--warmup', type=int, default=1, help='files read before the one a shard owns (default 1)')
    p.add_argument('--exe', default=shutil.which('callextract') or 'callextract', help='the callextract binary')
    p.add_argument('--keep-shards', action='store_true',
                   help='keep every file the shards wrote in DIR/.shards (default: shard.json and report.json only)')
    p.add_argument('--option', action='append', default=[], metavar='OPT',
                   help='an option passed to every shard (repeatable), e.g. --option=--no-html')
    a = p.parse_args(argv)
    from distributed import Client, LocalCluster
    if a.scheduler:
        client = Client(a.scheduler)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                               dashboard_address=':8787')
        client = Client(cluster)
    print('callextract-dask: dashboard %s' % client.dashboard_link, file=sys.stderr)
    try:
        s = run(client, a.exe, a.captures, a.output, warmup=a.warmup, options=a.option, keep_shards=a.keep_shards)
    finally:
        client.close()
        if cluster:
            cluster.close()
    print('callextract-dask: %d calls from %d shards (%d run again from earlier, %d failed) in %s'
          % (s['calls'], len(s['shards']), s['reruns'], len(s['failed']), a.output), file=sys.stderr)
    return 1 if s['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
