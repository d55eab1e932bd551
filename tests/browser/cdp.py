"""A small Chrome DevTools Protocol driver for the browser tests: starts
Debian's chromium headless on a port of its own, opens pages, records
console messages, exceptions, CSP reports, failed and non-file requests,
evaluates expressions and takes screenshots. Needs python3-websocket."""
import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import websocket


def find_chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        p = shutil.which(name)
        if p:
            return p
    return None


def free_port(lo=21000, hi=21999):
    """A free TCP port in the range the project gives the HTML work."""
    start = lo + (os.getpid() * 7) % (hi - lo)
    for k in range(hi - lo):
        p = lo + (start - lo + k) % (hi - lo)
        s = socket.socket()
        try:
            s.bind(('127.0.0.1', p))
            return p
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError('no free port in %d-%d' % (lo, hi))


class Browser:
    def __init__(self):
        exe = find_chromium()
        if not exe:
            raise RuntimeError('chromium not found')
        self.profile = tempfile.mkdtemp(prefix='cx-chromium-')
        self.port = free_port()
        args = [exe, '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
                '--no-default-browser-check', '--disable-extensions', '--disable-background-networking',
                '--disable-component-update', '--disable-sync', '--mute-audio',
                '--autoplay-policy=no-user-gesture-required', '--window-size=1400,1000',
                '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=%d' % self.port,
                '--user-data-dir=' + self.profile, 'about:blank']
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        ws_url = None
        while time.time() < deadline and not ws_url:
            try:
                with urllib.request.urlopen('http://127.0.0.1:%d/json/list' % self.port, timeout=2) as r:
                    for t in json.load(r):
                        if t.get('type') == 'page':
                            ws_url = t['webSocketDebuggerUrl']
            except OSError:
                time.sleep(0.2)
        if not ws_url:
            self.close()
            raise RuntimeError('chromium did not open its DevTools port')
        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events = []
        for m in ('Runtime.enable', 'Log.enable', 'Network.enable', 'Page.enable'):
            self.call(m)

    def call(self, method, **params):
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({'id': my, 'method': method, 'params': params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == my:
                if 'error' in msg:
                    raise RuntimeError('%s: %s' % (method, msg['error']))
                return msg.get('result', {})
            if 'method' in msg:
                self.events.append(msg)

    def pump(self, seconds):
        """Collects events for a while."""
        end = time.time() + seconds
        self.ws.settimeout(0.1)
        try:
            while time.time() < end:
                try:
                    msg = json.loads(self.ws.recv())
                except websocket.WebSocketTimeoutException:
                    continue
                if 'method' in msg:
                    self.events.append(msg)
        finally:
            self.ws.settimeout(60)

    def open(self, url, settle=1.0):
        """Loads url; returns the problems seen while it loaded."""
        self.events = []
        self.call('Page.navigate', url=url)
        end = time.time() + 30
        while time.time() < end:
            self.pump(0.2)
            if any(e['method'] == 'Page.loadEventFired' for e in self.events):
                break
        self.pump(settle)
        return self.problems()

    def problems(self):
        out = []
        for e in self.events:
            m, p = e['method'], e.get('params', {})
            if m == 'Runtime.exceptionThrown':
                out.append('exception: ' + json.dumps(p.get('exceptionDetails', {}))[:400])
            elif m == 'Runtime.consoleAPICalled' and p.get('type') in ('error', 'warning', 'assert'):
                out.append('console.%s: %s' % (p['type'], json.dumps(p.get('args'))[:400]))
            elif m == 'Log.entryAdded' and p['entry'].get('level') in ('error', 'warning'):
                out.append('log: %s %s' % (p['entry'].get('text'), p['entry'].get('url', '')))
            elif m == 'Network.loadingFailed' and not p.get('canceled'):
                out.append('failed request: %s %s' % (p.get('errorText'), self.url_of(p.get('requestId'))))
            elif m == 'Network.requestWillBeSent':
                u = p['request']['url']
                if not (u.startswith('file://') or u.startswith('data:') or u == 'about:blank'):
                    out.append('external request: ' + u)
        return out

    def url_of(self, rid):
        for e in self.events:
            if e['method'] == 'Network.requestWillBeSent' and e['params'].get('requestId') == rid:
                return e['params']['request']['url']
        return '?'

    def eval(self, expr, await_promise=False):
        r = self.call('Runtime.evaluate', expression=expr, returnByValue=True, awaitPromise=await_promise)
        if 'exceptionDetails' in r:
            raise RuntimeError('evaluate %r: %s' % (expr[:80], r['exceptionDetails']))
        return r['result'].get('value')

    def screenshot(self, path, y=0, height=None):
        """The page from y down (height: to its end, at most 8000 px)."""
        params = {'format': 'png'}
        m = self.call('Page.getLayoutMetrics')
        cs = m.get('cssContentSize') or m.get('contentSize')
        w, h = min(int(cs['width']), 2000), min(int(cs['height']) - y, height or 8000)
        params.update(clip={'x': 0, 'y': y, 'width': w, 'height': max(h, 1), 'scale': 1}, captureBeyondViewport=True)
        data = self.call('Page.captureScreenshot', **params)['data']
        with open(path, 'wb') as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
