/* callextract HTML report. Every value from a capture comes from the
 * page's <script type="application/json"> blocks (the same data as
 * report.json) and is put into the page as text (textContent,
 * setAttribute on fixed attribute names), never as markup. Links are
 * built only from the report's own relative paths. */
'use strict';
(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const root = document.body.getAttribute('data-root') || '';

  function data(id) {
    const e = document.getElementById('d-' + id);
    if (!e) return null;
    try { return JSON.parse(e.textContent); } catch (x) { console.warn('bad data block ' + id); return null; }
  }
  /* Long lists (calls, conversations) are in data/NAME-NNNNNN.js files of
   * sets.chunk rows, loaded when a page of rows needs them: each file
   * calls cxData(name, k, rows). */
  const sets = data('sets') || { chunk: 1000 };
  const chunks = new Map(), pending = new Map();
  window.cxData = function (name, k, rows) {
    const key = name + '/' + k;
    chunks.set(key, rows);
    const p = pending.get(key);
    if (p) { pending.delete(key); p.resolve(rows); }
  };
  function chunk(name, k) {
    const key = name + '/' + k;
    if (chunks.has(key)) return Promise.resolve(chunks.get(key));
    if (pending.has(key)) return pending.get(key).promise;
    let resolve, reject;
    const promise = new Promise((a, b) => { resolve = a; reject = b; });
    pending.set(key, { promise, resolve });
    const sc = document.createElement('script');
    sc.src = root + 'data/' + name + '-' + String(k).padStart(6, '0') + '.js';
    sc.addEventListener('error', () => reject(new Error('cannot load ' + sc.src)));
    document.body.appendChild(sc);
    return promise;
  }
  function dataset(name) {
    const count = sets[name] || 0, per = sets.chunk || 1000;
    return {
      count,
      async slice(a, b) {
        const out = [];
        for (let k = Math.floor(a / per); k * per < Math.min(b, count); k++) {
          const r = await chunk(name, k);
          r.forEach((row, i) => { if (k * per + i >= a && k * per + i < b) out.push(row); });
        }
        return out;
      },
      async all() {
        const ps = [];
        for (let k = 0; k * per < count; k++) ps.push(chunk(name, k));
        return (await Promise.all(ps)).flat();
      }
    };
  }
  const listOf = arr => ({ count: arr.length, slice: (a, b) => Promise.resolve(arr.slice(a, b)) });

  function el(tag, attrs, kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    add(e, kids);
    return e;
  }
  function sv(tag, attrs, kids) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    add(e, kids);
    return e;
  }
  function add(e, kids) {
    if (kids === undefined || kids === null) return;
    if (!Array.isArray(kids)) kids = [kids];
    for (const k of kids) {
      if (k === null || k === undefined) continue;
      e.appendChild(typeof k === 'object' ? k : document.createTextNode(String(k)));
    }
  }
  /* A relative path of the report as an href: each segment URL-encoded,
   * nothing with a scheme or leading slash. */
  function href(path) {
    if (typeof path !== 'string' || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path) || path.startsWith('/') || path.includes('..'))
      return null;
    return path.split('/').map(encodeURIComponent).join('/');
  }
  function link(path, text, base) {
    const h = href(path);
    if (!h) return document.createTextNode(String(text));
    return el('a', { href: (base || '') + h }, text);
  }
  function fmt(v, d) {
    if (v === null || v === undefined) return '';
    if (typeof v === 'number') return d !== undefined ? v.toFixed(d) : String(v);
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }
  function section(app, id, title) {
    const s = el('section', { id: id }, el('h2', {}, title));
    app.appendChild(s);
    return s;
  }
  /* cols: [label, value(row) -> string|number|Node, numeric?] */
  function table(cols, rows) {
    const t = el('table');
    t.appendChild(el('tr', {}, cols.map(c => el('th', {}, c[0]))));
    for (const r of rows) {
      t.appendChild(el('tr', {}, cols.map(c => {
        const v = c[1](r);
        return el('td', c[2] ? { class: 'num' } : {}, v instanceof Node ? v : fmt(v));
      })));
    }
    return t;
  }
  /* the scalar members of obj as a table, per pairs to a row */
  function kv(obj, keys, per) {
    const t = el('table', { class: 'kv' });
    let tr = null, n = 0;
    for (const k of keys || Object.keys(obj)) {
      const v = obj[k];
      if (v !== null && typeof v === 'object') continue;
      if (n++ % (per || 1) === 0) { tr = el('tr'); t.appendChild(tr); }
      add(tr, [el('th', {}, k), el('td', {}, fmt(v))]);
    }
    return t;
  }

  /* ---------------- overview ---------------- */

  function overview(app) {
    const cap = data('capture') || {};
    const calls = dataset('calls');
    const convs = dataset('conversations');
    const findings = data('findings') || [];
    app.appendChild(el('h1', {}, 'callextract report'));
    app.appendChild(el('nav', {}, [['#capture', 'Capture'], ['#timeline', 'Timeline'], ['#findings', 'Findings'],
      ['#credentials', 'Credentials'], ['#calls', 'Calls'], ['#dns', 'DNS'], ['#icmp', 'ICMP'], ['#ftp', 'FTP']]
      .map(a => el('a', { href: a[0] }, a[1]))));
    app.appendChild(el('p', { class: 'muted' }, ['The same data as ', link('report.json', 'report.json'), ' and ',
      link('summary.txt', 'summary.txt'), '.']));

    /* capture */
    let s = section(app, 'capture', 'Capture');
    const fcols = [['file', f => f.path], ['format', f => f.format], ['link types', f => (f.link_types || []).join(', ')],
      ['frames', f => f.frames, 1], ['bytes', f => f.bytes, 1], ['error', f => f.error]];
    if ((cap.files || []).some(f => f.sha256)) fcols.splice(5, 0, ['SHA-256', f => el('code', {}, fmt(f.sha256))]);
    s.appendChild(table(fcols, cap.files || []));
    s.appendChild(el('p', {}, `${fmt(cap.frames)} frames, ${fmt(cap.first_time)} to ${fmt(cap.last_time)} (${fmt(cap.duration, 3)} s)`));
    const protos = cap.protocols || {};
    s.appendChild(el('p', {}, ['Protocols: ', Object.keys(protos).filter(k => typeof protos[k] === 'number' && protos[k] > 0)
      .map(k => k + ' ' + protos[k]).join(', ')]));

    /* links from findings and credentials to calls: filled in once every
     * call's row is loaded (after the page is drawn) */
    const later = [];
    let byFrame = [];
    /* the call whose frames hold f: the last call starting at or before
     * it (binary search; calls overlap, so a few before it are tried too) */
    function callOfFrame(f) {
      let lo = 0, hi = byFrame.length;
      while (lo < hi) { const m = (lo + hi) >> 1; if (byFrame[m].first_frame <= f) lo = m + 1; else hi = m; }
      for (let i = lo - 1; i >= 0 && i >= lo - 64; i--) if (byFrame[i].last_frame >= f) return byFrame[i];
      return null;
    }
    const byCallId = new Map();
    function callLink(cell, c, text, hash) {
      const h = c ? href(c.folder + '/index.html') : null;
      if (!h) return;
      cell.textContent = '';
      cell.appendChild(el('a', { href: h + (hash || '') }, text));
    }

    /* timeline */
    s = section(app, 'timeline', 'Timeline of conversations');
    const dur = Math.max(cap.duration || 0, 0.001);
    const tl = el('div');
    s.appendChild(tl);
    pager(s, tl, convs, 200, function (box, page) {
      const W = 1100, L = 330, lane = 16, H = page.length * lane + 24;
      const g = sv('svg', { class: 'timeline', width: W, height: H, viewBox: `0 0 ${W} ${H}` });
      for (let k = 0; k <= 10; k++) {
        const x = L + (W - L - 10) * k / 10;
        g.appendChild(sv('line', { x1: x, x2: x, y1: 0, y2: H, stroke: '#eee' }));
        g.appendChild(sv('text', { x: x + 2, y: H - 4, fill: '#666' }, (dur * k / 10).toFixed(1) + ' s'));
      }
      page.forEach(function (c, i) {
        const y = 4 + i * lane;
        const x0 = L + (W - L - 10) * (c.start || 0) / dur;
        const x1 = Math.max(x0 + 2, L + (W - L - 10) * (c.end || c.start || 0) / dur);
        const color = /sip-call/.test(c.kind) ? '#1f5fa8' : /sip/.test(c.kind) ? '#6b8fc4' : /dns/.test(c.kind) ? '#3a8a3a' :
          /icmp/.test(c.kind) ? '#a0a000' : /ftp/.test(c.kind) ? '#a05000' : '#777';
        const call = c.call && c.folder ? c : null;
        const node = sv('g', {}, [
          sv('title', {}, `${fmt(c.title)} (frames ${fmt(c.first_frame)}-${fmt(c.last_frame)}, ${fmt(c.start, 3)}-${fmt(c.end, 3)} s)`),
          sv('text', { x: 4, y: y + 11 }, String(c.title || c.kind).slice(0, 52)),
          sv('rect', { x: x0, y: y + 2, width: x1 - x0, height: lane - 5, fill: color })]);
        const h = call ? href(call.folder + '/index.html') : null;
        g.appendChild(h ? sv('a', { href: h }, node) : node);
      });
      box.appendChild(g);
    });

    /* findings */
    s = section(app, 'findings', 'Findings');
    const sevs = ['high', 'medium', 'low', 'info'];
    if (!findings.length) s.appendChild(el('p', {}, 'none'));
    for (const sev of sevs) {
      const f = findings.filter(x => x.severity === sev);
      if (!f.length) continue;
      s.appendChild(el('h3', { class: 'sev-' + sev }, `${sev} (${f.length})`));
      s.appendChild(table([['kind', x => x.kind], ['frame', x => {
        if (!x.frame) return '';
        const cell = el('span', {}, 'frame ' + x.frame);
        later.push(() => { const c = callOfFrame(x.frame); if (c) callLink(cell, c, 'frame ' + x.frame + ' (call ' + c.index + ')', '#f' + Number(x.frame)); });
        return cell;
      }], ['message', x => x.message]], f));
    }

    /* credentials */
    s = section(app, 'credentials', 'Credentials');
    const ex = data('auth-exchanges') || [];
    s.appendChild(el('h3', {}, `Digest exchanges (${ex.length})`));
    if (ex.length) s.appendChild(table([['frame', x => x.frame, 1], ['method', x => x.method], ['user', x => x.username],
      ['realm', x => x.realm], ['client', x => x.client], ['server', x => x.server], ['verdict', x => x.verdict],
      ['password', x => x.password === null ? '' : el('b', {}, fmt(x.password))], ['call', x => {
        const cell = el('span');
        later.push(() => { const c = byCallId.get(x.call_id); if (c) callLink(cell, c, 'call ' + c.index); });
        return cell;
      }]], ex));
    const ct = data('auth-cleartext') || [];
    s.appendChild(el('h3', {}, `Cleartext logins (${ct.length})`));
    if (ct.length) s.appendChild(table([['frame', x => x.frame, 1], ['protocol', x => x.protocol], ['user', x => x.user],
      ['password', x => x.password], ['verdict', x => x.verdict], ['client', x => x.client], ['server', x => x.server]], ct));

    /* calls */
    s = section(app, 'calls', `Calls (${calls.count})`);
    callsTable(s, calls);

    /* DNS */
    s = section(app, 'dns', 'DNS lookups');
    const dns = data('dns') || [];
    if (!dns.length) s.appendChild(el('p', {}, 'none'));
    else pager(s, el('div'), listOf(dns), 200, (box, page) => box.appendChild(table([['time', x => x.time], ['client', x => x.client],
      ['server', x => x.server], ['name', x => x.name], ['type', x => x.type], ['rcode', x => x.rcode],
      ['answers', x => (x.records || []).filter(r => r.section === 'answer').map(r => r.data).join(', ')],
      ['frames', x => `${fmt(x.query_frame)}/${fmt(x.response_frame)}`]], page)));

    /* ICMP */
    s = section(app, 'icmp', 'ICMP exchanges');
    const icmp = data('icmp') || {};
    let any = false;
    for (const k of Object.keys(icmp)) {
      const v = icmp[k];
      if (!Array.isArray(v) || !v.length) continue;
      any = true;
      s.appendChild(el('h3', {}, `${k} (${v.length})`));
      const cols = Object.keys(v[0]).filter(c => typeof v[0][c] !== 'object' || v[0][c] === null);
      pager(s, el('div'), listOf(v), 200, (box, page) => box.appendChild(table(cols.map(c => [c, x => x[c]]), page)));
    }
    if (!any) s.appendChild(el('p', {}, 'none'));

    /* FTP */
    s = section(app, 'ftp', 'FTP sessions');
    const ftp = data('ftp') || [];
    if (!ftp.length) s.appendChild(el('p', {}, 'none'));
    for (const x of ftp) {
      s.appendChild(el('h3', {}, `Session ${fmt(x.index)}: ${fmt(x.client)} -> ${fmt(x.server)}, user ${fmt(x.user)} (${fmt(x.login)})`));
      s.appendChild(table([['command', t => t.command], ['name', t => t.name], ['file', t => t.file ? link(t.file, t.file) : ''],
        ['size', t => t.size, 1], ['SHA-256', t => el('code', {}, fmt(t.sha256))], ['mode', t => t.mode],
        ['frames', t => `${fmt(t.first_frame)}-${fmt(t.last_frame)}`], ['incomplete', t => t.incomplete]], x.transfers || []));
    }
    /* after the page has loaded, so that the rows of 100 000 calls do not
     * hold up its first drawing */
    function resolve() {
      calls.all().then(function (all) {
        byFrame = all.slice().sort((a, b) => a.first_frame - b.first_frame);
        for (const c of all) if (!byCallId.has(c.call_id)) byCallId.set(c.call_id, c);
        for (const f of later) f();
      });
    }
    if (later.length) {
      if (document.readyState === 'complete') setTimeout(resolve, 0);
      else window.addEventListener('load', () => setTimeout(resolve, 0));
    }
  }

  /* rows shown a page at a time (the index stays quick with 100 000 calls) */
  /* src: {count, slice(a, b) -> Promise of rows} */
  function pager(parent, box, src, per, render) {
    const bar = el('div', { class: 'pager' });
    parent.appendChild(bar);
    parent.appendChild(box);
    let page = 0, shown = 0;
    function show() {
      const my = ++shown;
      bar.textContent = '';
      const pages = Math.max(1, Math.ceil(src.count / per));
      if (page >= pages) page = pages - 1;
      if (pages > 1) {
        const prev = el('button', {}, 'previous'), next = el('button', {}, 'next');
        prev.disabled = page === 0;
        next.disabled = page >= pages - 1;
        prev.addEventListener('click', () => { page--; show(); });
        next.addEventListener('click', () => { page++; show(); });
        add(bar, [prev, next, `page ${page + 1} of ${pages} (${src.count} rows)`]);
      }
      src.slice(page * per, page * per + per).then(function (rows) {
        if (my !== shown) return;
        box.textContent = '';
        render(box, rows);
      }, e => { box.textContent = String(e.message); });
    }
    show();
    return { update(s) { src = s; page = 0; show(); } };
  }

  function callsTable(s, calls) {
    const cols = [
      ['#', c => c.index, true], ['from', c => c.from], ['to', c => c.to], ['start (s)', c => c.start, true],
      ['start (UTC)', c => c.start_utc], ['duration (s)', c => c.duration, true], ['state', c => c.state],
      ['codecs', c => (c.codecs || []).join(' ')], ['MOS', c => c.mos, true], ['encrypted', c => c.encrypted]];
    const input = el('input', { class: 'filter', type: 'search', placeholder: 'filter: text in any column', id: 'calls-filter' });
    s.appendChild(el('p', {}, input));
    let key = -1, dir = 1; /* in the report's order until a header is clicked or a filter typed */
    let all = null;
    const box = el('div');
    const head = el('tr', {}, cols.map((c, i) => {
      const th = el('th', { class: 'sortable', 'data-col': String(i) }, c[0]);
      th.addEventListener('click', () => {
        dir = key === i ? -dir : 1;
        key = i;
        for (const h of head.children) h.classList.remove('asc', 'desc');
        th.classList.add(dir > 0 ? 'asc' : 'desc');
        apply();
      });
      return th;
    }));
    const pg = pager(s, box, calls, 100, function (b, page) {
      const t = el('table', { id: 'calls-table' });
      t.appendChild(head);
      for (const c of page) {
        t.appendChild(el('tr', { 'data-index': String(c.index) }, cols.map((col, i) => {
          let v = col[1](c);
          if (i === 0 && href(c.folder + '/index.html')) v = link(c.folder + '/index.html', String(v));
          else if (i === 8 && typeof v === 'number') v = v.toFixed(2);
          return el('td', col[2] ? { class: 'num' } : {}, v instanceof Node ? v : fmt(v));
        })));
      }
      b.appendChild(t);
    });
    /* sorting and filtering need every row: loaded on the first use */
    function apply() {
      if (!all) { calls.all().then(r => { all = r; apply(); }); return; }
      const q = input.value.toLowerCase();
      const rows = all.filter(c => !q || cols.some(col => fmt(col[1](c)).toLowerCase().includes(q)));
      if (key < 0) { pg.update(listOf(rows)); return; }
      const num = cols[key][2];
      rows.sort((a, b) => {
        let x = cols[key][1](a), y = cols[key][1](b);
        if (num) { x = x === null || x === undefined ? -Infinity : x; y = y === null || y === undefined ? -Infinity : y; return (x - y) * dir; }
        return fmt(x).localeCompare(fmt(y)) * dir;
      });
      pg.update(listOf(rows));
    }
    input.addEventListener('input', apply);
  }

  /* ---------------- call page ---------------- */

  function callPage(app) {
    const D = data('call');
    if (!D) { app.appendChild(el('p', {}, 'no call data')); return; }
    const d = D.dialog, streams = D.streams || [], folder = d.folder || '';
    const msgs = d.messages || [];
    const local = p => (typeof p === 'string' && p.startsWith(folder + '/')) ? p.slice(folder.length + 1) : null;
    app.appendChild(el('p', {}, [el('a', { href: root + 'index.html' }, '\u2190 all calls'), ' \u00b7 ',
      link('call.json', 'call.json'), ' \u00b7 ', link('flow.txt', 'flow.txt'), ' \u00b7 ', link('flow.svg', 'flow.svg')]));
    app.appendChild(el('h1', {}, `Call ${d.index}: ${fmt(d.from && d.from.uri)} \u2192 ${fmt(d.to && d.to.uri)}`));
    document.title = `callextract: call ${d.index}`;
    app.appendChild(kv({
      'Call-ID': d.call_id, state: d.state, 'final status': d.final_status, 'final reason': d.final_reason,
      'hung up by': d.hung_up_by, start: d.start && d.start.utc, 'setup time (s)': d.setup_time, 'talk time (s)': d.talk_time,
      messages: d.message_count, retransmissions: d.retransmissions, subject: d.subject,
      'caller software': d.from && d.from.software, 'callee software': d.to && d.to.software }));

    /* parties: the columns of the ladder, named as summary.txt names them */
    const parties = D.parties || [];
    const cols = [];
    const hostOf = ep => String(ep).replace(/^\[?([^\]]*?)\]?:\d+$/, '$1');
    /* one column per address (a party's SIP and RTP ports together) */
    function col(ep) {
      ep = hostOf(ep);
      let i = cols.indexOf(ep);
      if (i < 0) { cols.push(ep); i = cols.length - 1; }
      return i;
    }
    for (const m of msgs) { col(m.src); col(m.dst); }
    for (const s of streams) { col(s.src); col(s.dst); }
    function partyName(ep) {
      const ip = hostOf(ep);
      const p = parties.find(x => x.address === ip);
      if (!p) return [ip, ''];
      const name = (p.dns_names && p.dns_names.length) ? p.dns_names[0] : '';
      const sw = (p.software && p.software.length) ? p.software[0].text : '';
      return [`${String(p.role || '').replace(/ \(.*/, '')} ${ip}`, `${name ? name + ' ' : ''}${sw}`];
    }

    /* the ladder: one row per message; time maps to rows piecewise */
    let s = section(app, 'ladder', 'Ladder');
    const CW = 240, X0 = 170, ROW = 26, TOP = 56;
    /* a quiet spell between two messages (media flowing) gets room in
     * proportion to its length, up to 240 px */
    const ys = [];
    let yy = TOP + 8;
    msgs.forEach(function (m, i) {
      if (i) yy += ROW + Math.min(240, Math.max(0, m.rel - msgs[i - 1].rel - 0.5) * 25);
      ys.push(yy);
    });
    const W = X0 + cols.length * CW, H = yy + ROW + 30;
    const cx = i => X0 + CW / 2 + i * CW;
    const g = sv('svg', { class: 'ladder', width: W, height: H, viewBox: `0 0 ${W} ${H}`, id: 'ladder' });
    cols.forEach(function (ep, i) {
      const n = partyName(ep);
      g.appendChild(sv('text', { x: cx(i), y: 16, 'text-anchor': 'middle', 'font-weight': 'bold' }, String(n[0]).slice(0, 34)));
      g.appendChild(sv('text', { x: cx(i), y: 30, 'text-anchor': 'middle', fill: '#555' }, String(n[1]).slice(0, 40)));
      g.appendChild(sv('line', { x1: cx(i), x2: cx(i), y1: 36, y2: H - 10, stroke: '#999' }));
    });
    const rowY = i => ys[i];
    const tmap = msgs.map((m, i) => [m.rel, rowY(i)]);
    function yOf(t) {
      if (!tmap.length) return TOP;
      if (t <= tmap[0][0]) return tmap[0][1];
      for (let i = 1; i < tmap.length; i++) {
        if (t <= tmap[i][0]) {
          const a = tmap[i - 1], b = tmap[i];
          return b[0] > a[0] ? a[1] + (b[1] - a[1]) * (t - a[0]) / (b[0] - a[0]) : b[1];
        }
      }
      const last = tmap[tmap.length - 1];
      return Math.min(H - 12, last[1] + (t - last[0]) * 4);
    }
    /* RTP streams: bars between their parties over their time span */
    const sdpFrames = new Map((d.sdp || []).map(x => [x.frame, x]));
    streams.forEach(function (st, k) {
      const a = cols.indexOf(hostOf(st.src)), b = cols.indexOf(hostOf(st.dst));
      if (a < 0 || b < 0) return;
      /* a bar along the sender's line */
      const x = cx(a) + (b > a ? 6 : -16);
      const y0 = yOf(st.start), y1 = Math.max(yOf(st.end), y0 + 4);
      const color = a < b ? '#2e8b57' : '#8b2e6b';
      g.appendChild(sv('rect', { x: x, y: y0, width: 10, height: y1 - y0, fill: color, opacity: 0.35 },
        sv('title', {}, `RTP ${st.src} \u2192 ${st.dst} SSRC ${st.ssrc} ${st.codec}: ${st.packets} packets, ${st.lost} lost`)));
      const lx = b > a ? x + 14 : x - 4, ly = y0 + 12 + (k % 2) * 28; /* two directions' labels apart */
      g.appendChild(sv('text', { x: lx, y: ly, fill: color, 'text-anchor': b > a ? 'start' : 'end' },
        `RTP ${st.codec} ${b > a ? '\u2192' : '\u2190'} ${hostOf(st.dst)}`));
      g.appendChild(sv('text', { x: lx, y: ly + 12, fill: color, 'text-anchor': b > a ? 'start' : 'end' },
        `${st.packets} pkts, ${st.lost} lost${st.quality ? ', MOS ' + st.quality.mos.toFixed(2) : ''}`));
      for (const ev of st.dtmf || []) {
        const t = ev.rel !== undefined ? ev.rel : ev.start;
        if (typeof t !== 'number') continue;
        const y = yOf(t);
        g.appendChild(sv('text', { x: x - 14, y: y + 4, fill: '#000', 'font-weight': 'bold' }, 'DTMF ' + fmt(ev.digit !== undefined ? ev.digit : ev.event)));
      }
      const se = st.series;
      if (se) se.lost.forEach(function (n, i) {
        if (!n) return;
        const y = yOf(st.start + se.t[i]);
        g.appendChild(sv('line', { x1: x - 3, x2: x + 13, y1: y, y2: y, stroke: '#d00', 'stroke-width': 2 },
          sv('title', {}, `${n} packets lost in ${se.t[i]}-${se.t[i] + se.bucket_s} s`)));
      });
      const r = st.rtcp || {};
      if (r.last_sr_time && st.first_time) {
        const t = st.start + (Date.parse(r.last_sr_time) - Date.parse(st.first_time)) / 1000;
        /* the SR's NTP time is the sender's clock: drawn only when it
         * falls inside the stream as the capture saw it */
        if (isFinite(t) && t >= st.start - 1 && t <= st.end + 1) {
          const y = yOf(t);
          g.appendChild(sv('circle', { cx: x + 5, cy: y, r: 4, fill: '#f0a000' },
            sv('title', {}, `RTCP SR from SSRC ${st.ssrc} (${r.sr_count} SR, fraction lost ${fmt(r.fraction_lost)}, jitter ${fmt(r.reported_jitter_ms)} ms)`)));
        }
      }
    });
    const pre = el('pre', { id: 'msgtext' }, 'Click a message to see its full text.');
    let firstInvite = null, answered = false;
    msgs.forEach(function (m, i) {
      const y = rowY(i), a = col(m.src), b = col(m.dst);
      const xa = cx(a), xb = cx(b), dirn = xb >= xa ? -1 : 1;
      let label = m.summary + (m.sdp ? ' (SDP)' : '') + (m.retransmission ? ' [rtx]' : '');
      if (m.request === 'INVITE') {
        if (firstInvite === null) firstInvite = m.cseq;
        else if (answered && m.cseq !== firstInvite && !m.retransmission) {
          const o = sdpFrames.get(m.frame);
          const dirs = o ? (o.media || []).map(x => x.direction) : [];
          label = 're-INVITE' + (dirs.some(x => x === 'sendonly' || x === 'inactive') ? ' (hold: ' + dirs.join(',') + ')' :
            dirs.length ? ' (' + dirs.join(',') + ')' : '') + (m.retransmission ? ' [rtx]' : '');
        }
      }
      if (m.status >= 200 && m.status < 300 && /INVITE/.test(m.cseq)) answered = true;
      const grp = sv('g', { class: 'msg' + (m.retransmission ? ' rtx' : ''), id: 'f' + m.frame, 'data-frame': String(m.frame) }, [
        sv('text', { x: 4, y: y + 4 }, `${m.rel.toFixed(3)} #${m.frame}`),
        sv('line', { x1: xa, y1: y, x2: xb, y2: y, stroke: m.request ? '#0050a0' : '#a05000', 'stroke-width': 1.5 }),
        sv('polygon', { points: `${xb},${y} ${xb + dirn * 8},${y - 4} ${xb + dirn * 8},${y + 4}`, fill: '#000' }),
        sv('text', { x: (xa + xb) / 2, y: y - 4, 'text-anchor': 'middle' }, label),
        sv('rect', { x: Math.min(xa, xb), y: y - 16, width: Math.max(20, Math.abs(xb - xa)), height: 20, fill: 'transparent' })]);
      grp.addEventListener('click', function () {
        for (const x of g.querySelectorAll('.msg.sel')) x.classList.remove('sel');
        grp.classList.add('sel');
        pre.textContent = `frame ${m.frame}, ${m.time}, ${m.src} \u2192 ${m.dst} (${m.transport})\n\n` +
          (m.text === null || m.text === undefined ? '(text not kept: over the report\'s limit)' : m.text);
      });
      g.appendChild(grp);
    });
    if (d.message_count > msgs.length)
      g.appendChild(sv('text', { x: 4, y: H - 14 }, `${d.message_count - msgs.length} more messages not listed`));
    const lcur = sv('line', { x1: X0, x2: W, y1: -10, y2: -10, stroke: '#d00', 'stroke-width': 1.5, id: 'ladder-cursor' });
    g.appendChild(lcur);
    s.appendChild(el('div', {}, g));
    s.appendChild(pre);
    if (location.hash) {
      const t = document.getElementById(location.hash.slice(1));
      if (t && t.dispatchEvent) { t.dispatchEvent(new MouseEvent('click')); if (t.scrollIntoView) t.scrollIntoView(); }
    }

    /* media: players, waveforms and spectrograms on one time axis */
    s = section(app, 'media', 'Audio');
    const t0 = d.start ? d.start.rel : 0;
    const t1 = Math.max(d.end ? d.end.rel : t0 + 1, ...streams.map(x => x.end || 0));
    const span = Math.max(t1 - t0, 0.001);
    const pct = t => (100 * (t - t0) / span) + '%';
    const players = el('div', { class: 'players' });
    s.appendChild(players);
    const media = el('div', { class: 'media', id: 'media' });
    const axis = el('div', { class: 'axis' });
    for (let k = 0; k <= 10; k++) {
      const sp = el('span', {}, (t0 + span * k / 10).toFixed(1) + ' s');
      sp.style.left = (k * 10) + '%';
      axis.appendChild(sp);
    }
    media.appendChild(axis);
    const cursor = el('div', { class: 'cursor', id: 'media-cursor' });
    cursor.style.display = 'none';
    media.appendChild(cursor);
    const audios = [];
    function moveCursor(t) {
      cursor.style.display = '';
      cursor.style.left = pct(t);
      const y = yOf(t);
      lcur.setAttribute('y1', y);
      lcur.setAttribute('y2', y);
    }
    function hook(audio, start) {
      audios.push(audio);
      audio.addEventListener('timeupdate', () => moveCursor(start + audio.currentTime));
      audio.addEventListener('seeked', () => moveCursor(start + audio.currentTime));
      audio.addEventListener('play', () => { for (const a of audios) if (a !== audio) a.pause(); });
    }
    let mixStart = null, mixFile = null;
    streams.forEach(function (st, k) {
      const wav = local(st.wav);
      const n = partyName(st.src);
      const title = `${fmt(st.sender)} ${st.src} \u2192 ${st.dst} (${st.codec}, SSRC ${st.ssrc})`;
      if (!wav) {
        players.appendChild(el('div', {}, [title + ': no audio', st.reason ? ' (' + st.reason + ')' : '']));
        return;
      }
      const audio = el('audio', { controls: '', preload: 'metadata', src: href(wav), 'data-stream': String(k) });
      hook(audio, st.start);
      players.appendChild(el('div', {}, [el('div', {}, [title + ' ', link(wav, 'WAV')]), audio]));
      if (st.audio && st.audio.stereo && local(st.audio.stereo.file)) {
        mixFile = local(st.audio.stereo.file);
        mixStart = mixStart === null ? st.start : Math.min(mixStart, st.start);
      }
      const pic = (D.pictures || [])[k] || {};
      for (const kind of ['wave', 'spec']) {
        const tr = el('div', { class: 'track' + (kind === 'spec' ? ' spec' : '') });
        tr.appendChild(el('span', { class: 'lab' }, `${kind === 'wave' ? 'waveform' : 'spectrogram 0-' + '4 kHz'}: ${n[0]} ${st.src}`));
        if (pic[kind]) {
          const img = el('img', { src: href(pic[kind]), alt: kind + ' of ' + wav });
          img.style.left = pct(st.start);
          const secs = st.audio && st.audio.seconds ? st.audio.seconds : st.end - st.start;
          img.style.width = (100 * secs / span) + '%';
          img.addEventListener('click', function (e) {
            const r = img.getBoundingClientRect();
            audio.currentTime = Math.max(0, (e.clientX - r.left) / r.width * secs);
            moveCursor(st.start + audio.currentTime);
          });
          tr.appendChild(img);
        } else if (pic.error) {
          tr.appendChild(el('span', { class: 'lab' }, 'no picture: ' + pic.error));
        }
        media.appendChild(tr);
      }
    });
    if (mixFile) {
      const audio = el('audio', { controls: '', preload: 'metadata', src: href(mixFile), 'data-stream': 'stereo' });
      hook(audio, mixStart);
      players.appendChild(el('div', {}, [el('div', {}, ['stereo mix (caller left, callee right) ', link(mixFile, 'WAV')]), audio]));
    }
    s.appendChild(media);
    if (!audios.length) s.appendChild(el('p', {}, 'No audio was decoded for this call.'));

    /* per stream: statistics, quality, plots */
    s = section(app, 'streams', 'Streams');
    streams.forEach(function (st) {
      s.appendChild(el('h3', {}, `${fmt(st.sender)} ${st.src} \u2192 ${st.dst}, SSRC ${st.ssrc}, ${st.codec}`));
      const q = st.quality;
      s.appendChild(el('p', { class: 'quality' }, q ? [el('b', {}, `MOS ${q.mos.toFixed(2)}`), `, R factor ${q.r_factor.toFixed(1)} `,
        el('span', { class: 'muted' }, `(${q.method}: Ie ${q.ie}, Bpl ${q.bpl}, loss ${q.ppl} %, delay estimate ${q.delay_ms} ms)`)] :
        'MOS: no E-model figures for this codec'));
      s.appendChild(kv(st, null, 4));
      const se = st.series;
      if (se && se.t.length) {
        const p = el('div', { class: 'plots' });
        p.appendChild(plot('jitter (ms), max per ' + se.bucket_s + ' s', se.t, [[se.max_jitter_ms, '#1f5fa8']]));
        p.appendChild(plot('inter-arrival delta (ms): mean, max', se.t, [[se.mean_delta_ms, '#2e8b57'], [se.max_delta_ms, '#a05000']]));
        p.appendChild(plot('lost packets per ' + se.bucket_s + ' s', se.t, [[se.lost, '#d00']], true));
        s.appendChild(p);
      }
      const r = st.rtcp;
      if (r && Object.keys(r).length) { s.appendChild(el('div', { class: 'muted' }, 'RTCP')); s.appendChild(kv(r, null, 4)); }
    });
    if (!streams.length) s.appendChild(el('p', {}, 'No RTP stream belongs to this call.'));

    /* SDP offer and answer side by side, from the messages' text */
    s = section(app, 'sdp', 'SDP offer and answer');
    const sdp = d.sdp || [];
    const offer = sdp.find(x => x.type === 'offer'), answer = sdp.find(x => x.type === 'answer');
    function body(o) {
      if (!o) return el('pre', {}, 'none');
      const m = msgs.find(x => x.frame === o.frame);
      const t = m && typeof m.text === 'string' ? m.text : '';
      const i = t.search(/\r?\n\r?\n/);
      return el('div', {}, [el('div', {}, `${o.type} by the ${o.party}, frame ${o.frame} (${o.message})`),
        el('pre', {}, i >= 0 ? t.slice(i).trim() : JSON.stringify(o, null, 1))]);
    }
    s.appendChild(el('div', { class: 'sdp' }, [body(offer), body(answer)]));
    if (sdp.length > 2) s.appendChild(el('p', { class: 'muted' }, `${sdp.length} SDP bodies in all (re-INVITEs, retransmissions): see call.json`));

    /* digest exchanges */
    s = section(app, 'auth', 'Digest exchanges');
    const au = D.auth || [];
    if (!au.length) s.appendChild(el('p', {}, 'none'));
    else s.appendChild(table([['frame', x => x.frame, 1], ['method', x => x.method], ['user', x => x.username],
      ['realm', x => x.realm], ['algorithm', x => x.algorithm], ['verdict', x => x.verdict],
      ['password', x => x.password], ['hashcat', x => el('code', {}, fmt(x.hashcat))]], au));

    /* files */
    s = section(app, 'files', 'Files');
    const files = ['call.json', 'flow.txt', 'flow.svg'];
    for (const st of streams) {
      for (const p of [st.wav, st.raw_payload, st.audio && st.audio.stereo && st.audio.stereo.file]) {
        const l = local(p);
        if (l && !files.includes(l)) files.push(l);
      }
    }
    for (const p of D.pictures || []) for (const k of ['wave', 'spec']) if (p[k]) files.push(p[k]);
    s.appendChild(el('ul', {}, files.map(f => el('li', {}, link(f, f)))));
  }

  /* a small line or bar plot over the stream's time, in SVG */
  function plot(title, t, series, bars) {
    const W = 420, H = 140, L = 40, B = 20;
    const max = Math.max(1e-9, ...series.flatMap(s => s[0]));
    const tmax = Math.max(t[t.length - 1] + (t.length > 1 ? t[1] - t[0] : 1), 1e-9);
    const g = sv('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}` });
    g.appendChild(sv('text', { x: L, y: 12 }, title));
    g.appendChild(sv('text', { x: 2, y: 24 }, max.toFixed(max < 10 ? 2 : 0)));
    g.appendChild(sv('text', { x: 2, y: H - B }, '0'));
    g.appendChild(sv('text', { x: W - 40, y: H - 4 }, tmax.toFixed(0) + ' s'));
    g.appendChild(sv('line', { x1: L, x2: W - 4, y1: H - B, y2: H - B, stroke: '#999' }));
    g.appendChild(sv('line', { x1: L, x2: L, y1: 18, y2: H - B, stroke: '#999' }));
    const X = v => L + (W - L - 8) * v / tmax, Y = v => H - B - (H - B - 20) * v / max;
    for (const s of series) {
      if (bars) {
        s[0].forEach((v, i) => { if (v) g.appendChild(sv('rect', { x: X(t[i]), y: Y(v), width: Math.max(2, X(t[1] || 1) - X(0) - 1), height: H - B - Y(v), fill: s[1] })); });
      } else {
        g.appendChild(sv('polyline', { fill: 'none', stroke: s[1], 'stroke-width': 1.5, points: s[0].map((v, i) => `${X(t[i]).toFixed(1)},${Y(v).toFixed(1)}`).join(' ') }));
      }
    }
    return g;
  }

  const app = document.getElementById('app');
  const page = document.body.getAttribute('data-page');
  if (page === 'index') overview(app);
  else if (page === 'call') callPage(app);
})();
