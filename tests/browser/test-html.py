#!/usr/bin/python3
"""Browser tests of the HTML report, in Debian's headless chromium driven
through the DevTools protocol (cdp.py). TAP output.

test-html.py CALLEXTRACT FIXTURES_DIR ARTIFACTS_DIR

Runs callextract on fixtures (several calls in one run, FTP, DNS/ICMP,
a hostile capture) into ARTIFACTS_DIR/<case>/ and checks in the browser:
every page loads with no console error, no CSP report, no failed and no
non-file request; each <audio> loads its WAV and reports the WAV's
duration; the ladder holds every SIP message of the call by frame
number; the calls table sorts and filters; the hostile capture's payloads
are shown as text and none runs. Screenshots of every page go to
ARTIFACTS_DIR/screenshots/."""
import json
import os
import re
import shutil
import subprocess
import sys
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

exe, fixtures, art = sys.argv[1], sys.argv[2], sys.argv[3]
shots = os.path.join(art, 'screenshots')
os.makedirs(shots, exist_ok=True)
n = 0
failed = 0


def ok(cond, what, detail=''):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print('%s %d - %s' % ('ok' if cond else 'not ok', n, what))
    if not cond and detail:
        for line in str(detail).splitlines()[:20]:
            print('#   ' + line)
    sys.stdout.flush()
    return cond


def run(case, inputs, *extra):
    out = os.path.join(art, case)
    shutil.rmtree(out, ignore_errors=True)
    args = [exe] + [os.path.join(fixtures, i) for i in inputs] + ['-o', out, '--force', '-q'] + list(extra)
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ok(r.returncode in (0, 1), '%s: callextract ran (exit %d)' % (case, r.returncode), r.stderr.decode(errors='replace'))
    return out


def report(out):
    # report.json may hold bytes from packets that are not UTF-8
    with open(os.path.join(out, 'report.json'), 'rb') as f:
        return json.loads(f.read().decode('utf-8', errors='surrogateescape'))


def url(path):
    return 'file://' + os.path.abspath(path)


def wav_seconds(path):
    with wave.open(path, 'rb') as w:
        return w.getnframes() / w.getframerate()


def wait(b, expr, seconds=20):
    """Polls expr until it is true (rows are loaded from data files)."""
    for _ in range(int(seconds * 10)):
        v = b.eval(expr)
        if v:
            return v
        b.pump(0.1)
    return b.eval(expr)


ROWS = "[...document.querySelectorAll('#calls-table tr[data-index]')]"


def open_page(b, path, name, settle=0.8):
    problems = b.open(url(path), settle=settle)
    dialogs = [e for e in b.events if e['method'] == 'Page.javascriptDialogOpening']
    ok(not problems, '%s loads with no console error, CSP report, failed or external request' % name, '\n'.join(problems))
    ok(not dialogs, '%s opens no dialog' % name, json.dumps(dialogs))
    return problems


def check_call_pages(b, out, case, rep):
    calls = [d for d in rep['dialogs'] if d.get('folder')]
    ok(len(calls) > 0, '%s: has calls' % case)
    for d in calls:
        page = os.path.join(out, d['folder'], 'index.html')
        name = '%s call %d page' % (case, d['index'])
        if not ok(os.path.exists(page), name + ' exists'):
            continue
        open_page(b, page, name)
        frames = b.eval("[...document.querySelectorAll('#ladder .msg')].map(g => +g.getAttribute('data-frame'))")
        want = [m['frame'] for m in d['messages']]
        ok(frames == want and len(want) == d['message_count'],
           '%s: the ladder holds every SIP message by frame number (%d)' % (name, len(want)),
           'ladder %s\nreport %s' % (frames, want))
        # the message text shown on click is the captured message
        if want:
            b.eval("document.getElementById('f%d').dispatchEvent(new MouseEvent('click'))" % want[0])
            shown = b.eval("document.getElementById('msgtext').textContent")
            first = d['messages'][0].get('text') or ''
            ok(first[:200] in shown, '%s: clicking frame %d shows its text' % (name, want[0]))
        # audio: every WAV of the call, with its duration
        b.pump(0.5)
        audios = b.eval("""[...document.querySelectorAll('audio')].map(a => ({src: decodeURIComponent(a.src),
            state: a.readyState, dur: a.duration, err: a.error ? a.error.code : null}))""")
        wavs = set()
        for s in rep['streams']:
            if s.get('wav') and s['wav'].startswith(d['folder'] + '/'):
                wavs.add(s['wav'])
                st = (s.get('audio') or {}).get('stereo')
                if st:
                    wavs.add(st['file'])
        ok(len(audios) == len(wavs), '%s: one player per WAV (%d)' % (name, len(wavs)), json.dumps(audios))
        for a in audios:
            rel = os.path.relpath(a['src'][len('file://'):], out)
            secs = wav_seconds(os.path.join(out, rel))
            ok(a['err'] is None and a['state'] >= 1 and abs(a['dur'] - secs) < 0.01,
               '%s: %s loads, %.3f s (WAV %.3f s)' % (name, os.path.basename(rel), a['dur'] or -1, secs), json.dumps(a))
        imgs = b.eval("[...document.querySelectorAll('#media img')].map(i => [i.complete, i.naturalWidth])")
        ok(all(c and w > 0 for c, w in imgs) and len(imgs) == 2 * len([w for w in wavs if 'stereo' not in w]),
           '%s: a waveform and a spectrogram per direction, loaded (%d)' % (name, len(imgs)), json.dumps(imgs))
        mos = b.eval("[...document.querySelectorAll('#streams .quality b')].map(x => x.textContent)")
        want_mos = ['MOS %.2f' % s['quality']['mos'] for s in rep['streams']
                    if s.get('call_id') == d['call_id'] and s.get('quality') and s.get('wav', '') and
                    s['wav'].startswith(d['folder'] + '/')]
        ok(all(m in mos for m in want_mos), '%s: MOS as in report.json %s' % (name, want_mos), json.dumps(mos))
        shot = os.path.join(shots, '%s-call-%d.png' % (case, d['index']))
        b.screenshot(shot)


b = cdp.Browser()
try:
    # several calls in one run: calls table, call pages
    out = run('calls', ['sip-call-auth.pcap', 'sip-call-hold.pcap', 'sip-call-pcma.pcap', 'sip-call-busy.pcap',
                        'sip-call-cancel.pcap'], '--wordlist', os.path.join(fixtures, 'voip-wordlist.txt'))
    rep = report(out)
    open_page(b, os.path.join(out, 'index.html'), 'calls index')
    wait(b, ROWS + ".length > 0")
    wait(b, "document.querySelectorAll('#findings a').length > 0", 5)
    b.screenshot(os.path.join(shots, 'calls-index.png'))
    calls = [d for d in rep['dialogs'] if d.get('folder')]
    rows = b.eval("[...document.querySelectorAll('#calls-table tr[data-index]')].map(r => +r.getAttribute('data-index'))")
    ok(sorted(rows) == sorted(d['index'] for d in calls), 'calls table lists every call (%d)' % len(calls), rows)
    # sort by # twice: descending
    b.eval("document.querySelector('#calls-table th[data-col=\"0\"]').click()")
    wait(b, "document.querySelector('#calls-table th.asc') !== null")
    b.eval("document.querySelector('#calls-table th[data-col=\"0\"]').click()")
    wait(b, "document.querySelector('#calls-table th.desc') !== null")
    rows = b.eval("[...document.querySelectorAll('#calls-table tr[data-index]')].map(r => +r.getAttribute('data-index'))")
    ok(rows == sorted(rows, reverse=True) and len(rows) == len(calls), 'calls table sorts by # descending', rows)
    # sort by duration ascending
    b.eval("document.querySelector('#calls-table th[data-col=\"5\"]').click()")
    wait(b, "document.querySelector('#calls-table th[data-col=\"5\"].asc') !== null")
    durs = b.eval("[...document.querySelectorAll('#calls-table tr[data-index]')].map(r => +r.children[5].textContent)")
    ok(durs == sorted(durs) and len(durs) == len(calls), 'calls table sorts by duration ascending', durs)
    # filter on a state
    states = [d['state'] for d in calls]
    pick = sorted(set(states), key=lambda s: (states.count(s), s))[0]
    b.eval("(() => { const i = document.getElementById('calls-filter'); i.value = %s; "
           "i.dispatchEvent(new Event('input')); })()" % json.dumps(pick))
    wait(b, ROWS + ".length === %d" % states.count(pick), 5)
    rows = b.eval("[...document.querySelectorAll('#calls-table tr[data-index]')].map(r => r.children[6].textContent)")
    ok(len(rows) == states.count(pick) and all(r == pick for r in rows),
       'calls table filters on "%s" (%d of %d rows)' % (pick, len(rows), len(calls)), rows)
    b.screenshot(os.path.join(shots, 'calls-index-filtered.png'))
    check_call_pages(b, out, 'calls', rep)

    # FTP, DNS, ICMP: the overview's other sections
    out = run('around', ['ftp-modes.pcap', 'around-icmp-dns.pcap'])
    rep = report(out)
    open_page(b, os.path.join(out, 'index.html'), 'around index')
    wait(b, "document.querySelectorAll('#timeline rect').length > 0")
    b.screenshot(os.path.join(shots, 'around-index.png'))
    links = b.eval("[...document.querySelectorAll('#ftp a')].map(a => decodeURIComponent(a.getAttribute('href')))")
    files = [t['file'] for f in rep['ftp'] for t in f.get('transfers', []) if t.get('file')]
    ok(sorted(links) == sorted(files), 'FTP files linked (%d)' % len(files), links)
    dns = b.eval("document.querySelectorAll('#dns tr').length")
    ok(dns == min(len(rep['dns']), 200) + 1, 'DNS lookups listed (%d)' % len(rep['dns']))
    icmp = b.eval("document.querySelectorAll('#icmp tr').length")
    ok(icmp >= len(rep['icmp'].get('echo', [])), 'ICMP exchanges listed')

    # hostile capture: payloads shown as text, none run
    out = run('hostile', ['html-hostile.pcap'])
    rep = report(out)
    pages = [('hostile index', os.path.join(out, 'index.html'))] + \
            [('hostile call %d page' % d['index'], os.path.join(out, d['folder'], 'index.html'))
             for d in rep['dialogs'] if d.get('folder')]
    ok(len(pages) == 2, 'hostile: one call')
    for name, page in pages:
        open_page(b, page, name)
        if 'index' in name:
            wait(b, ROWS + ".length > 0")
        if 'call' in name:
            b.eval("document.querySelector('#ladder .msg').dispatchEvent(new MouseEvent('click'))")
        b.pump(0.3)
        pwned = b.eval("typeof window.__cx_pwned")
        ok(pwned == 'undefined', '%s: no payload ran (window.__cx_pwned %s)' % (name, pwned))
        bad = b.eval("""({onattr: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a =>
            /^on/i.test(a.name))).length, imgx: document.querySelectorAll('img[src="x"]').length,
            scripts: [...document.scripts].filter(s => s.type !== 'application/json').map(s => s.getAttribute('src')),
            js: [...document.querySelectorAll('[href],[src]')].filter(e => /^\\s*javascript:/i.test(e.getAttribute('href') ||
            e.getAttribute('src'))).length})""")
        ours = [x for x in bad['scripts'] if re.fullmatch(r'(\.\./\.\./)?(assets/cx\.js|data/(calls|conversations)-\d{6}\.js)', x or '')]
        ok(bad['onattr'] == 0 and bad['imgx'] == 0 and bad['js'] == 0 and ours == bad['scripts'] and len(ours) >= 1,
           '%s: no element from the payloads (event attributes, img, javascript: links, scripts)' % name, json.dumps(bad))
        text = b.eval("document.body.innerText")
        shown = ['<script>alert(7)</script>', 'onerror=alert(8)'] if 'index' in name else \
                ['<script>window.__cx_pwned=1</script>', '<img src=x onerror=alert(6)>', 'javascript:window.__cx_pwned=3',
                 '</script><script>alert(5)</script>']
        if 'index' in name:
            shown.append('<script>alert(10)</script>')
        for s in shown:
            ok(s in text, '%s: payload %r shown as text' % (name, s))
        ok('\\xFF' in text, '%s: a byte that is not UTF-8 shows as the visible escape \\xFF' % name)
        b.screenshot(os.path.join(shots, name.replace(' ', '-') + '.png'))
        b.screenshot(os.path.join(shots, name.replace(' ', '-') + '-top.png'), 0, 1000)
finally:
    b.close()

print('1..%d' % n)
sys.exit(1 if failed else 0)
