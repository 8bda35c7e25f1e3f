// The timeline as one self-contained HTML page: inline CSS and JS, no network. A column per thread,
// a row per step; the unlocked window of gpc_to_pfn_retry is a shaded band down its thread's column,
// and the steps that break something are marked with what broke and what the rule means.
import type { CacheState, Timeline, TimelineStep } from './timeline.ts';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const CSS = `
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#1b1f24;background:#fff}
h1{font-size:18px;margin:0 0 4px}p.desc{max-width:70em;color:#444;margin:4px 0 8px}
.meta span{margin-right:14px}.banner{padding:8px 10px;margin:10px 0;border-radius:4px}
.banner.bad{background:#fde8e8;border:1px solid #d33}.banner.good{background:#e6f4ea;border:1px solid #3a3}
table{border-collapse:collapse;margin-top:8px}th,td{border:1px solid #ccd;padding:3px 6px;vertical-align:top}
th{background:#f2f4f7;position:sticky;top:0;z-index:1}th small{font-weight:normal;color:#555;display:block}
td.thread{min-width:9em}td.acting{background:#eef4ff;font-weight:600}
td.window{background:repeating-linear-gradient(135deg,#ffe9b3 0 6px,#fff5d6 6px 12px)}
td.window.acting{background:repeating-linear-gradient(135deg,#ffd77a 0 6px,#ffe9b3 6px 12px)}
.win{display:inline-block;font-size:11px;color:#8a5a00}.lock{display:block;font-size:11px;color:#234}
tr.break>td{border-top:2px solid #d33;border-bottom:2px solid #d33}tr.break td.num{background:#d33;color:#fff}
tr.current>td{outline:2px solid #36c;outline-offset:-2px}tr.breaks td{background:#fff6f6;color:#900}
.st-zapped{color:#a60}.st-freed{color:#c00}.st-reused{color:#c00;font-weight:700}.st-mapped{color:#070}
.stale{color:#c00}.muted{color:#888}.nav{margin:8px 0}.nav button{margin-right:6px}
#detail{white-space:pre-wrap;font:12px monospace;background:#f7f7f9;border:1px solid #ddd;padding:6px;max-width:90em}
`;

const JS = `
(function(){
  var rows=[].slice.call(document.querySelectorAll('tr[data-step]'));
  var data=JSON.parse(document.getElementById('timeline-data').textContent);
  var cur=-1,label=document.getElementById('pos'),detail=document.getElementById('detail');
  function show(i){
    if(i<0||i>=rows.length)return;
    if(cur>=0)rows[cur].classList.remove('current');
    cur=i;rows[i].classList.add('current');rows[i].scrollIntoView({block:'nearest'});
    label.textContent='step '+(i+1)+' of '+rows.length;
    detail.textContent=JSON.stringify(data.steps[i],null,1);
  }
  document.getElementById('prev').onclick=function(){show(cur-1)};
  document.getElementById('next').onclick=function(){show(cur+1)};
  var br=document.getElementById('tobreak');if(br)br.onclick=function(){show(data.firstBreak-1)};
  rows.forEach(function(r,i){r.onclick=function(){show(i)}});
  document.addEventListener('keydown',function(e){
    if(e.key==='ArrowDown'||e.key==='j'){show(cur+1);e.preventDefault()}
    if(e.key==='ArrowUp'||e.key==='k'){show(cur-1);e.preventDefault()}
  });
})();
`;

function cacheCell(c: CacheState): string {
  const state = `${c.active ? 'active' : 'inactive'}${c.valid ? ' valid' : ' <span class="muted">invalid</span>'}`;
  const locks: string[] = [];
  if (c.lockWriter) locks.push(`lock: ${esc(c.lockWriter)} (write)`);
  if (c.lockReaders.length > 0) locks.push(`lock: ${esc(c.lockReaders.join(', '))} (read)`);
  if (c.refreshLock) locks.push(`refresh_lock: ${esc(c.refreshLock)}`);
  return (
    `<b>${esc(c.name)}</b> ${state}<br>pfn ${c.pfn ?? '-'} khva ${esc(c.khva ?? '-')}` +
    locks.map((l) => `<span class="lock">${l}</span>`).join('') +
    (c.unlockedWindow ? `<span class="win">${esc(c.unlockedWindow)} in the unlocked window</span>` : '')
  );
}

function row(t: Timeline, s: TimelineStep): string {
  const cells = t.threads.map((th) => {
    const c = s.threads[th.name];
    const acting = th.name === s.thread;
    const cls = ['thread', acting ? 'acting' : '', c?.unlockedWindow ? 'window' : ''].filter(Boolean);
    let body = '';
    if (acting) {
      body = `${esc(s.op)}${s.pauseAt ? ` → ${esc(s.pauseAt)}` : ''} = ${esc(s.result)}`;
    } else if (c && c.status !== 'idle') {
      body = `<span class="muted">${c.status} in ${esc(c.op ?? '?')}${c.at ? ` at ${esc(c.at)}` : ''}</span>`;
    }
    if (c && c.cpu !== th.cpu) body += ` <small>cpu ${c.cpu}</small>`;
    if (c && c.holds.length > 0)
      body += c.holds.map((h) => `<span class="lock">holds ${esc(h)}</span>`).join('');
    if (c?.unlockedWindow) body += '<span class="win">unlocked window</span>';
    return `<td class="${cls.join(' ')}" data-thread="${esc(th.name)}">${body}</td>`;
  });
  const caches = s.caches.map(cacheCell).join('<br>') || '<span class="muted">none</span>';
  const vms = s.vms
    .map((v) => `${esc(v.name)}: seq ${v.mmuInvalidateSeq}, in progress ${v.activeInvalidations}`)
    .join('<br>');
  const pages = s.pages
    .map(
      (p) =>
        `<span class="st-${p.status}" title="${esc(p.was)}${p.now ? ` → ${esc(p.now)}` : ''}">${p.pfn} ${p.status}</span>`,
    )
    .join('<br>');
  const stale =
    s.staleTlb.length === 0
      ? '<span class="muted">none</span>'
      : s.staleTlb.map((e) => `<span class="stale">cpu${e.cpu} ${esc(e.va)}→${e.pfn}</span>`).join('<br>');
  const broken = s.breaks.length > 0;
  const main =
    `<tr data-step="${s.step}"${broken ? ' class="break" data-break="true"' : ''}>` +
    `<td class="num">${s.step}</td>${cells.join('')}<td>${caches}</td><td>${vms}</td><td>${pages}</td><td>${stale}</td></tr>`;
  if (!broken) return main;
  const what = s.breaks
    .map(
      (b) =>
        `<b data-break-name="${esc(b.name)}">${esc(b.name)}</b>: ${esc(b.meaning)}${b.detail ? ` <small>(${esc(b.detail)})</small>` : ''}`,
    )
    .join('<br>');
  return `${main}<tr class="breaks" data-breaks-of="${s.step}"><td></td><td colspan="${t.threads.length + 4}">step ${s.step} breaks: ${what}</td></tr>`;
}

/** One self-contained page (no network): the timeline table, stepping with buttons or j/k, the data as JSON. */
export function renderTimelineHtml(t: Timeline): string {
  const first = t.firstBreak === null ? undefined : t.steps.find((s) => s.step === t.firstBreak);
  const banner = first
    ? `<div class="banner bad" id="verdict">Step ${first.step} (${esc(first.thread)} ${esc(first.op)}) breaks ${first.breaks
        .map((b) => `<b>${esc(b.name)}</b>: ${esc(b.meaning)}`)
        .join('; ')} <button id="tobreak">show</button></div>`
    : `<div class="banner good" id="verdict">No step breaks an invariant, oopses or touches a freed page${t.ok ? '; every expect held' : ''}.</div>`;
  const kernel = Object.entries(t.kernel)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  const head = t.threads
    .map(
      (th) =>
        `<th>${esc(th.name)}<small>${th.kind}, cpu ${th.cpu}${th.vm ? `, ${esc(th.vm)}` : ''}</small></th>`,
    )
    .join('');
  const json = JSON.stringify(t).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(t.title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${CSS}</style></head>
<body><h1>${esc(t.title)}</h1>
${t.description ? `<p class="desc">${esc(t.description)}</p>` : ''}
<div class="meta"><span>backend <b>${esc(t.backend)}</b></span><span>kernel: ${esc(kernel)}</span><span>${t.cpus} CPUs</span>
<span>shaded: a refresh inside gpc_to_pfn_retry's unlocked window (gpc->lock dropped)</span></div>
${banner}
<div class="nav"><button id="prev">◀ prev</button><button id="next">next ▶</button><span id="pos">click a row or press j/k</span></div>
<table><thead><tr><th>#</th>${head}<th>caches</th><th>mmu_invalidate</th><th>pages</th><th>stale TLB</th></tr></thead>
<tbody>${t.steps.map((s) => row(t, s)).join('\n')}</tbody></table>
<pre id="detail"></pre>
<script type="application/json" id="timeline-data">${json}</script>
<script>${JS}</script>
</body></html>
`;
}
