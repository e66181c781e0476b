// Installer console page: polls /api/state every 2 s and renders it. Texts are zh-CN first, en beside.
// Every value from the gateway goes in through textContent, never as HTML.
'use strict';

const POLL_MS = 2000;
const QUALITY = { good: '正常 good', uncertain: '存疑 uncertain', bad: '故障 bad' };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

function both(text) {
  return text ? `${text.zh} / ${text.en}` : '';
}

function time(ts) {
  return ts ? new Date(ts).toLocaleTimeString('zh-CN', { hour12: false }) : '—';
}

function formatValue(value) {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return String(value);
}

function renderConfig(validation) {
  const box = document.getElementById('config');
  if (!validation) return box.replaceChildren(el('span', { class: 'badge unknown' }, '未提供 / not reported'));
  const children = [el('span', { class: `badge ${validation.ok ? 'ok' : 'fail'}` }, validation.ok ? '有效 valid' : '有问题 problems'), ' ', validation.summary];
  if (validation.issues.length > 0) children.push(el('ul', { class: 'issues' }, ...validation.issues.map((issue) => el('li', {}, issue))));
  box.replaceChildren(...children);
}

function renderUplink(uplink) {
  const box = document.getElementById('uplink');
  if (!uplink) return box.replaceChildren(el('span', { class: 'badge unknown' }, '未配置 / not configured'));
  const badge = uplink.connected === undefined || uplink.connected === null
    ? el('span', { class: 'badge unknown' }, '状态未上报 state not reported')
    : el('span', { class: `badge ${uplink.connected ? 'ok' : 'fail'}` }, uplink.connected ? '已连接 connected' : '未连接 disconnected');
  box.replaceChildren(
    badge,
    ' ', uplink.url, uplink.detail ? el('div', { class: 'muted' }, uplink.detail) : null,
  );
}

function renderSpool(spool) {
  const box = document.getElementById('spool');
  if (!spool) return box.replaceChildren(el('span', { class: 'badge unknown' }, '未配置 / not configured'));
  const lanes = Object.entries(spool.backlog).map(([lane, n]) => `${lane}: ${n}`).join(', ');
  box.replaceChildren(
    el('div', {}, `待上传 / waiting: ${lanes || '0'}`),
    el('div', { class: 'muted' }, `${(spool.bytes / 1e6).toFixed(2)} MB, 丢弃 / dropped: ${spool.dropped}`),
  );
}

function renderSource(source) {
  const status = source.online === undefined || source.online === null
    ? el('span', { class: 'badge unknown' }, '等待 waiting')
    : el('span', { class: `badge ${source.online ? 'ok' : 'offline'}` }, source.online ? '在线 online' : '离线 offline');
  const rows = source.points.map((point) =>
    el('tr', { 'data-point': point.id },
      el('td', {}, point.name ? point.name.zh : point.id, el('div', { class: 'muted' }, point.name ? point.name.en : '')),
      el('td', { class: 'value' }, point.fault ? `${point.fault.code}` : formatValue(point.value), point.unit && !point.fault && point.value !== undefined && point.value !== null ? ` ${point.unit}` : ''),
      el('td', {}, point.quality ? el('span', { class: `badge ${point.quality}` }, QUALITY[point.quality] || point.quality) : '—',
        point.fault ? el('div', { class: 'error' }, both(point.fault.text)) : null),
      el('td', { class: 'muted' }, time(point.ts))));
  const counters = Object.entries(source.counters).map(([kind, n]) => `${kind} ×${n}`).join(', ');
  const where = Object.entries(source.tags).filter(([k]) => ['building', 'unit', 'floor', 'room'].includes(k)).map(([, v]) => v).join(' · ');
  return el('article', { class: 'source', 'data-source': source.id },
    el('h3', {}, source.id, ' ', status),
    el('div', { class: 'muted' }, both(source.profileName), ` (${source.profile}) ${where}`),
    source.lastError ? el('div', { class: 'error last-error' }, `最近错误 / last error: ${source.lastError.kind}: ${source.lastError.message} (${time(source.lastError.ts)})`) : null,
    counters ? el('div', { class: 'muted' }, `错误计数 / error counts: ${counters}`) : null,
    el('table', {}, el('tbody', {}, ...rows)));
}

async function refresh() {
  try {
    const response = await fetch('/api/state', { cache: 'no-store' });
    if (response.status === 401) return window.location.assign('/login');
    const state = await response.json();
    const name = state.gateway.name ? both(state.gateway.name) : state.gateway.id;
    document.getElementById('gateway-title').replaceChildren(`安装调试台 · ${name} `, el('small', {}, `${state.gateway.township}/${state.gateway.compound}/${state.gateway.id}`));
    renderConfig(state.validation);
    renderUplink(state.uplink);
    renderSpool(state.spool);
    document.getElementById('sources').replaceChildren(...state.sources.map(renderSource));
    document.getElementById('updated').textContent = `更新于 / updated ${time(state.now)}`;
  } catch (e) {
    document.getElementById('updated').textContent = `网关无响应 / gateway not reachable: ${e.message}`;
  } finally {
    setTimeout(refresh, POLL_MS);
  }
}

document.getElementById('test-siren').addEventListener('click', async () => {
  const result = document.getElementById('siren-result');
  const level = document.getElementById('siren-level').value;
  const response = await fetch('/api/test-siren', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ level, seconds: 10 }) });
  const body = await response.json().catch(() => ({}));
  result.textContent = response.ok ? `已发送测试（${body.level}，${body.forMs / 1000} 秒）/ test sent` : `失败 / failed: ${body.error || response.status}`;
});

document.getElementById('logout').addEventListener('click', async () => {
  await fetch('/api/logout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  window.location.assign('/login');
});

refresh();
