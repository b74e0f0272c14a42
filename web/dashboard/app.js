// inferd dashboard: polls /dashboard/api/overview and /dashboard/api/stats, and calls the public APIs
// (/v1 predict, /v2/repository load/unload) for the try-it form and the operator buttons.
import { drawLines, formatNumber } from './charts.js';

const $ = (id) => document.getElementById(id);
const state = { overview: null, selected: null, signature: 'serving_default', renderedKey: '' };

$('token').value = localStorage.getItem('inferd-token') ?? '';
$('token').addEventListener('change', () => localStorage.setItem('inferd-token', $('token').value));

function headers(json) {
  const h = json ? { 'content-type': 'application/json' } : {};
  const token = $('token').value.trim();
  if (token) h.authorization = `Bearer ${token}`;
  return h;
}

async function getJson(path) {
  const res = await fetch(path, { headers: headers(false) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
}

function showError(message) {
  $('error').textContent = message ?? '';
  $('error').hidden = !message;
}

// ---- overview: models, versions, states ----

async function refreshOverview() {
  try {
    const o = await getJson('/dashboard/api/overview');
    state.overview = o;
    showError(null);
    const ready = !o.draining && o.models.every((m) => m.serving !== null);
    $('server-state').textContent = o.draining ? 'draining' : ready ? 'ready' : 'not ready';
    $('server-state').className = `pill ${ready ? 'ready' : 'not-ready'}`;
    $('uptime').textContent = `up ${o.uptimeSeconds} s · ${o.models.length} model${o.models.length === 1 ? '' : 's'}`;
    renderModels(o);
    if (state.selected === null && o.models.length > 0) select(o.models[0].name);
    else renderDetail();
  } catch (err) {
    showError(`Could not read the server state: ${err.message}`);
  }
}

function renderModels(o) {
  const rows = o.models.map((m) => {
    const versions = el('td');
    for (const v of m.versions) {
      const line = el('span', { className: 'version' }, `v${v.version} `, el('span', { className: `state-${v.state}`, textContent: v.state }));
      if (v.error) line.append(el('span', { className: 'err', textContent: v.error }));
      versions.append(line);
    }
    if (m.versions.length === 0) versions.append(el('span', { className: 'muted', textContent: 'no versions yet' }));
    const actions = el('td');
    if (o.management) {
      actions.append(button('Reload', () => manage(m.name, 'load')), ' ', button('Unload', () => manage(m.name, 'unload'), 'secondary'));
    }
    const row = el('tr', { className: `model${m.name === state.selected ? ' selected' : ''}` },
      el('td', { textContent: m.name }), el('td', { textContent: m.platform ?? 'detected' }),
      el('td', { textContent: m.serving === null ? '–' : `v${m.serving}` }), versions, actions);
    row.dataset.model = m.name;
    row.addEventListener('click', (event) => {
      if (event.target.tagName !== 'BUTTON') select(m.name);
    });
    return row;
  });
  $('models').tBodies[0].replaceChildren(...rows);
}

function button(text, onClick, className = '') {
  const b = el('button', { type: 'button', textContent: text, className });
  b.addEventListener('click', onClick);
  return b;
}

async function manage(model, action) {
  const res = await fetch(`/v2/repository/models/${encodeURIComponent(model)}/${action}`, { method: 'POST', headers: headers(true), body: '{}' });
  const body = await res.json().catch(() => ({}));
  showError(res.ok ? null : `${action} ${model}: ${body.error ?? `HTTP ${res.status}`}`);
  await refreshOverview();
}

// ---- detail: signature and try-it form ----

function select(name) {
  state.selected = name;
  state.signature = 'serving_default';
  state.renderedKey = '';
  if (state.overview) renderModels(state.overview);
  renderDetail();
}

function currentModel() {
  return state.overview?.models.find((m) => m.name === state.selected) ?? null;
}

function renderDetail() {
  const m = currentModel();
  $('detail').hidden = m === null;
  if (m === null) return;
  const keys = Object.keys(m.signatures);
  if (!keys.includes(state.signature)) state.signature = keys[0] ?? 'serving_default';
  const key = `${m.name}/${m.serving}/${state.signature}/${keys.join(',')}`;
  if (key === state.renderedKey) return; // keep what the user typed
  state.renderedKey = key;
  $('detail-title').textContent = `${m.name}${m.serving === null ? ' (no version available)' : ` v${m.serving}`}`;
  $('signature').replaceChildren(...keys.map((k) => el('option', { value: k, textContent: k, selected: k === state.signature })));
  const sig = m.signatures[state.signature];
  const rows = [];
  const inputs = [];
  if (sig) {
    for (const [kind, list] of [['in', sig.inputs], ['out', sig.outputs]]) {
      for (const [alias, spec] of Object.entries(list)) {
        rows.push(el('tr', {}, el('td', { textContent: kind }), el('td', { textContent: alias }), el('td', { textContent: spec.dtype }),
          el('td', { textContent: spec.shape === null ? 'unknown rank' : `[${spec.shape.join(', ')}]` })));
      }
    }
    for (const [alias, spec] of Object.entries(sig.inputs)) {
      const area = el('textarea', { name: alias, value: JSON.stringify(sampleValue(spec)), spellcheck: false });
      area.dataset.alias = alias;
      inputs.push(el('label', { textContent: `${alias} (${spec.dtype})` }), area);
    }
  }
  $('sig-table').tBodies[0].replaceChildren(...rows);
  $('try-inputs').replaceChildren(...inputs);
  $('try-output').textContent = '';
  $('try-meta').textContent = '';
}

/** A value of the input's shape (unknown dims = 1) filled with a neutral element of its dtype. */
function sampleValue(spec) {
  const leaf = spec.dtype === 'DT_STRING' ? '' : spec.dtype === 'DT_BOOL' ? false : 0;
  const shape = spec.shape === null ? [1] : spec.shape.map((d) => (d < 0 ? 1 : Math.min(d, 64)));
  const build = (i) => (i === shape.length ? leaf : Array.from({ length: shape[i] }, () => build(i + 1)));
  return build(0);
}

$('signature').addEventListener('change', () => {
  state.signature = $('signature').value;
  state.renderedKey = '';
  renderDetail();
});

$('try').addEventListener('submit', async (event) => {
  event.preventDefault();
  const m = currentModel();
  if (!m) return;
  const inputs = {};
  try {
    for (const area of $('try-inputs').querySelectorAll('textarea')) inputs[area.dataset.alias] = JSON.parse(area.value);
  } catch (err) {
    $('try-output').textContent = `Not JSON: ${err.message}`;
    return;
  }
  const started = performance.now();
  const res = await fetch(`/v1/models/${encodeURIComponent(m.name)}:predict`, {
    method: 'POST', headers: headers(true), body: JSON.stringify({ signature_name: state.signature, inputs }),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  $('try-meta').textContent = `HTTP ${res.status} · ${ms.toFixed(1)} ms`;
  try {
    $('try-output').textContent = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    $('try-output').textContent = text;
  }
  $('try').dataset.answers = String(Number($('try').dataset.answers ?? 0) + 1); // lets tests wait for the answer
});

// ---- live charts ----

async function refreshStats() {
  try {
    const s = await getJson('/dashboard/api/stats?seconds=60');
    const series = s.overall;
    drawLines($('chart-rps'), [series.map((p) => p.requests)]);
    drawLines($('chart-latency'), [series.map((p) => p.p50Ms), series.map((p) => p.p99Ms)]);
    drawLines($('chart-batch'), [series.map((p) => p.meanBatch)]);
    const last = series.slice(-6, -1); // the last complete seconds
    const rps = last.reduce((a, p) => a + p.requests, 0) / Math.max(1, last.length);
    const lat = last.map((p) => p.p50Ms).filter((v) => v !== null);
    const batches = last.map((p) => p.meanBatch).filter((v) => v !== null);
    $('rps-now').textContent = formatNumber(rps);
    $('lat-now').textContent = lat.length ? formatNumber(lat[lat.length - 1]) : '–';
    $('batch-now').textContent = batches.length ? formatNumber(batches[batches.length - 1]) : '–';
    document.body.dataset.totalRequests = String(series.reduce((a, p) => a + p.requests, 0));
  } catch {
    // the overview shows connection problems
  }
}

await refreshOverview();
await refreshStats();
setInterval(refreshOverview, 2000);
setInterval(refreshStats, 1000);
