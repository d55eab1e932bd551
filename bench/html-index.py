#!/usr/bin/python3
"""How fast the HTML overview opens with many calls: takes DIR/index.html
written by callextract, repeats its calls-table rows and timeline lanes
up to N (renumbered), and loads the page in headless chromium through
tests/browser/cdp.py, N = 1000, 10000, 100000 by default.
Prints the time from navigation to the load event and to the calls table
being drawn (its rows come from data/calls-NNNNNN.js on demand), and the
time a filter over every row takes (which loads them all).
Usage: bench/html-index.py DIR [N...]"""
import json
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'browser'))
import cdp  # noqa: E402

src = sys.argv[1]
ns = [int(x) for x in sys.argv[2:]] or [1000, 10000, 100000]
html = open(os.path.join(src, 'index.html'), encoding='utf-8', errors='surrogateescape').read()
sets = json.loads(re.search(r'id="d-sets">(.*?)</script>', html).group(1))


def rows_of(name):
    out = []
    k = 0
    while os.path.exists(os.path.join(src, 'data', '%s-%06d.js' % (name, k))):
        t = open(os.path.join(src, 'data', '%s-%06d.js' % (name, k)), encoding='utf-8', errors='surrogateescape').read()
        out += json.loads(t[t.index('['):t.rindex(']') + 1])
        k += 1
    return out


def write_set(d, name, rows, n, renumber):
    os.makedirs(os.path.join(d, 'data'), exist_ok=True)
    per = sets['chunk']
    for k in range((n + per - 1) // per):
        part = []
        for i in range(k * per, min(n, (k + 1) * per)):
            r = dict(rows[i % len(rows)])
            renumber(r, i)
            part.append(r)
        with open(os.path.join(d, 'data', '%s-%06d.js' % (name, k)), 'w') as f:
            f.write('cxData("%s", %d, %s);\n' % (name, k, json.dumps(part, separators=(',', ':'))))


def calls(r, i):
    r['index'] = i + 1


def lanes(r, i):
    if 'call' in r:
        r['call'] = i + 1


call_rows, lane_rows = rows_of('calls'), rows_of('conversations')
b = cdp.Browser()
try:
    for n in ns:
        d = tempfile.mkdtemp(prefix='html-bench-')
        os.symlink(os.path.abspath(os.path.join(src, 'assets')), os.path.join(d, 'assets'))
        write_set(d, 'calls', call_rows, n, calls)
        write_set(d, 'conversations', lane_rows, n, lanes)
        page = re.sub(r'id="d-sets">.*?</script>', 'id="d-sets">%s</script>' % json.dumps(
            {'chunk': sets['chunk'], 'calls': n, 'conversations': n}), html)
        path = os.path.join(d, 'index.html')
        with open(path, 'w', encoding='utf-8', errors='surrogateescape') as f:
            f.write(page)
        size = sum(os.path.getsize(os.path.join(d, 'data', x)) for x in os.listdir(os.path.join(d, 'data')))
        t = time.time()
        problems = b.open('file://' + os.path.abspath(path), settle=0)
        wall = time.time() - t
        load = b.eval("performance.getEntriesByType('navigation')[0].loadEventEnd")
        for _ in range(300):
            rows = b.eval("document.querySelectorAll('#calls-table tr[data-index]').length")
            if rows:
                break
            b.pump(0.05)
        drawn = time.time() - t
        t = time.time()
        b.eval("(() => { const i = document.getElementById('calls-filter'); i.value = 'completed'; "
               "i.dispatchEvent(new Event('input')); })()")
        for _ in range(600):
            if b.eval("(document.querySelector('#calls .pager') || {}).textContent || ''").find('(%d rows)' % n) < 0:
                break
            b.pump(0.05)
        filt = time.time() - t
        print('%7d calls: index.html %.2f MB, data files %.1f MB; load event at %.0f ms, first rows drawn after %.2f s '
              '(%d rows), filter over all rows %.2f s%s' % (n, len(page) / 1e6, size / 1e6, load, drawn, rows, filt,
                                                          ', PROBLEMS: %s' % problems if problems else ''))
        shutil.rmtree(d)
finally:
    b.close()
