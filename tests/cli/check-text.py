#!/usr/bin/env python3
"""Checks an output directory against the text rule of doc/output.md ("Text from
packets"): every JSON file parses with a strict UTF-8 decoder; every text file is
strict UTF-8; flow.svg is well-formed XML; and each field marker of the capture
(fixtures/make/hostile-text.py prints them: NAME HEX) is recovered byte for byte
by undoing the escapes (\\ -> backslash, \\xHH -> the byte) in a JSON value under
one of the keys expected for it, and in the text files where the field is shown.

usage: check-text.py DIR MARKERS-FILE   (TAP on stdout)
"""
import glob
import json
import os
import re
import sys
import urllib.parse
import xml.etree.ElementTree as ET

out, markers_file = sys.argv[1], sys.argv[2]
markers = {}
for line in open(markers_file):
    k, h = line.split()
    markers[k] = bytes.fromhex(h)

n = 0
failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    print(('ok' if cond else 'not ok') + ' %d - %s' % (n, what))
    if not cond:
        failed += 1


def unescape(s):
    """The rule: \\\\ is a backslash, \\xHH a byte, everything else its UTF-8."""
    b = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == '\\' and i + 1 < len(s) and s[i + 1] == '\\':
            b += b'\\'
            i += 2
        elif c == '\\' and i + 3 < len(s) and s[i + 1] == 'x' and re.fullmatch('[0-9a-f]{2}', s[i + 2:i + 4]):
            b.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            b += c.encode('utf-8')
            i += 1
    return bytes(b)


def strings(v, key=None):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from strings(x, k)
            yield k, k
    elif isinstance(v, list):
        for x in v:
            yield from strings(x, key)
    elif isinstance(v, str):
        yield key, v


# where each field is expected in JSON (key names). The request URI (RURI) is
# not reported (a message's summary is its method or status), so it has no entry.
# Contact is written as osip re-serialises it, URI bytes percent-encoded: it is
# compared after percent-decoding as well (doc/output.md).
EXPECT = {
    'CALLID': {'call_id'}, 'FROMTAG': {'tag', 'tags'}, 'TOTAG': {'tag', 'tags'},
    'USERAGENT': {'software'}, 'SERVER': {'software'}, 'SUBJECT': {'subject'},
    'CONTACT': {'contact'}, 'REASON': {'final_reason', 'summary'},
    'SDPO1': {'origin'}, 'SDPO2': {'origin'}, 'SDPS1': {'session_name'}, 'SDPS2': {'session_name'},
    'SDPA1': {'0'}, 'SDPA2': {'0'},  # fmtp, keyed by payload type 'CNAME': {'cname'}, 'DNSNAME': {'name'},
    'FTPBANNER': {'banner'}, 'FTPUSER': {'user'}, 'FTPCMD': {'command'}, 'FTPREPLY': {'reply'},
    'FTPFILE': {'name'},
}

jsons = sorted(glob.glob(os.path.join(out, '**', '*.json'), recursive=True))
ok(len(jsons) >= 2, 'report.json and a call.json written (%d JSON files)' % len(jsons))
found = {}
for f in jsons:
    raw = open(f, 'rb').read()
    try:
        doc = json.loads(raw.decode('utf-8', 'strict'))
        good = True
    except (UnicodeDecodeError, ValueError) as e:
        good = False
        print('# %s: %s' % (f, e))
    ok(good, '%s parses as strict UTF-8 JSON' % os.path.relpath(f, out))
    ok(b'\xe2\x80\xa8' not in raw, '%s holds no raw U+2028' % os.path.relpath(f, out))
    if not good:
        continue
    for key, s in strings(doc):
        u = unescape(s)
        pu = urllib.parse.unquote_to_bytes(u) if key == 'contact' else u
        for name, m in markers.items():
            if m in u or m in pu:
                found.setdefault(name, set()).add(key)
for name in sorted(markers):
    if name not in EXPECT:
        continue
    keys = found.get(name, set())
    want = EXPECT.get(name, set())
    ok(keys & want, 'JSON: %s recovered byte for byte under %s (found under: %s)'
       % (name, '/'.join(sorted(want)), ', '.join(sorted(k for k in keys if k)) or 'nothing'))

texts = sorted(glob.glob(os.path.join(out, '**', '*.txt'), recursive=True) +
               glob.glob(os.path.join(out, '**', '*.svg'), recursive=True))
alltext = {}
for f in texts:
    raw = open(f, 'rb').read()
    try:
        t = raw.decode('utf-8', 'strict')
        good = True
    except UnicodeDecodeError as e:
        good = False
        t = ''
        print('# %s: %s' % (f, e))
    rel = os.path.relpath(f, out)
    ok(good, '%s is strict UTF-8' % rel)
    bad = [c for c in t if (ord(c) < 0x20 and c not in '\n\t') or 0x7f <= ord(c) < 0xa0 or c in '\u2028\u2029']
    ok(not bad, '%s holds no control characters or U+2028 (%d)' % (rel, len(bad)))
    if f.endswith('.svg'):
        try:
            root = ET.fromstring(raw)
            ok(not root.iter('{http://www.w3.org/2000/svg}script').__next__() if False else
               all(not e.tag.endswith('script') for e in root.iter()), '%s: no script element' % rel)
            t = ''.join(root.itertext())
        except ET.ParseError as e:
            ok(False, '%s is well-formed XML (%s)' % (rel, e))
    alltext[rel] = unescape(t)
# text files: the fields they show, recovered
for name, where in (('CALLID', 'flow.txt'), ('CALLID', 'summary.txt'), ('USERAGENT', 'summary.txt'),
                    ('FTPUSER', 'summary.txt'), ('FTPBANNER', 'summary.txt'), ('DNSNAME', 'summary.txt')):
    hit = [r for r, u in alltext.items() if os.path.basename(r) == where and markers[name] in u]
    ok(hit, '%s: %s recovered byte for byte' % (where, name))
print('1..%d' % n)
sys.exit(1 if failed else 0)
