#!/usr/bin/python3
"""How fast the HTML overview opens with many calls: takes DIR/index.html
written by callextract, repeats its calls-table rows and timeline lanes
up to N (renumbered), and loads the page in headless chromium through
tests/browser/cdp.py, N = 1000, 10000, 100000 by default.
Prints the time from navigation to the load event and to the calls table
being drawn, and the page's size.
Usage: bench/html-index.py DIR [N...]"""
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'browser'))
import cdp  # noqa: E402

src = sys.argv[1]
ns = [int(x) for x in sys.argv[2:]] or [1000, 10000, 100000]
html = open(os.path.join(src, 'index.html'), encoding='utf-8', errors='surrogateescape').read()


def block(name):
    m = re.search(r'(<script type="application/json" id="d-%s">)(.*?)(</script>)' % name, html, re.S)
    return m


def grow(page, name, n, renumber):
    m = block(name)
    rows = json.loads(m.group(2))
    out = []
    for i in range(n):
        r = dict(rows[i % len(rows)])
        renumber(r, i)
        out.append(r)
    text = json.dumps(out, separators=(',', ':')).replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026')
    return page.replace(m.group(0), m.group(1) + text + m.group(3))


def calls(r, i):
    r['index'] = i + 1


def lanes(r, i):
    if 'call' in r:
        r['call'] = i + 1


b = cdp.Browser()
try:
    for n in ns:
        page = grow(grow(html, 'calls', n, calls), 'conversations', n, lanes)
        d = tempfile.mkdtemp(dir=src)
        path = os.path.join(d, 'index.html')
        with open(path, 'w', encoding='utf-8', errors='surrogateescape') as f:
            f.write(page.replace('assets/', '../assets/').replace('href="report.json"', 'href="../report.json"'))
        t = time.time()
        problems = b.open('file://' + os.path.abspath(path), settle=0)
        wall = time.time() - t
        load = b.eval("performance.getEntriesByType('navigation')[0].loadEventEnd")
        rows = b.eval("document.querySelectorAll('#calls-table tr[data-index]').length")
        t = time.time()
        b.eval("(() => { const i = document.getElementById('calls-filter'); i.value = 'completed'; "
               "i.dispatchEvent(new Event('input')); })()")
        filt = time.time() - t
        print('%7d calls: %.1f MB, load event at %.0f ms (wall %.2f s, rows drawn %d), filter %.0f ms%s' %
              (n, len(page) / 1e6, load, wall, rows, filt * 1000, ', PROBLEMS: %s' % problems if problems else ''))
        os.remove(path)
        os.rmdir(d)
finally:
    b.close()
