// Installer console page: polls /api/state every 2 s and renders it. Texts are zh-CN first, en beside.
// Every value from the gateway goes in through textContent, never as HTML.
'use strict';

const POLL_MS = 2000;
const QUALITY = { good: '正常 good', uncertain: '存疑 uncertain', bad: '故障 bad' };
const LEVEL = { fire: '火警 fire', alarm: '报警 alarm', fault: '故障 fault', warning: '预警 warning', offline: '离线 offline' };
const STATE = { raised: '未确认 raised', acknowledged: '已确认 acknowledged', cleared: '已恢复 cleared' };
const ROLE = { siren: '警报器 siren', strobe: '频闪灯 strobe' };
const NUMBERED = /^[0-9A-Za-z-]{1,6}$/;

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

/** "2号楼 · -1层 · 地下车库坡道": numbered tags get their word, names stay as written. */
function place(tags) {
  const parts = [];
  if (tags.building) parts.push(NUMBERED.test(tags.building) ? `${tags.building}号楼` : tags.building);
  if (tags.unit) parts.push(NUMBERED.test(tags.unit) ? `${tags.unit}单元` : tags.unit);
  if (tags.floor) parts.push(NUMBERED.test(tags.floor) ? `${tags.floor}层` : tags.floor);
  if (tags.room) parts.push(tags.room);
  return parts.join(' · ');
}

/** A point's value as shown: a state in zh-CN with en beside, a bit pattern in hex with its set bits, or the number. */
function shownValue(point) {
  if (point.fault) return point.fault.code;
  if (point.label) return `${point.label.zh} ${point.label.en}`;
  if (point.raw && typeof point.value === 'number' && Number.isInteger(point.value)) {
    const hex = `0x${point.value.toString(16).toUpperCase().padStart(4, '0')}`;
    const field = (offset, width) => Math.floor(point.value / 2 ** offset) % 2 ** width;
    // Named by the points that decode this register; bits no point covers are listed by number.
    const named = (point.fields || []).filter((f) => field(f.offset, f.width) !== 0).map((f) => `${f.name ? f.name.zh : f.id}=${field(f.offset, f.width)}`);
    const covered = (bit) => (point.fields || []).some((f) => bit >= f.offset && bit < f.offset + f.width);
    const loose = [];
    for (let bit = 0; bit < 32; bit += 1) if (field(bit, 1) === 1 && !covered(bit)) loose.push(bit);
    const parts = [...named, ...(loose.length ? [`位 bits ${loose.join(',')}`] : [])];
    return `${hex} · ${parts.length ? parts.join('，') : '全部为 0 all clear'}`;
  }
  const unit = point.unit && point.value !== undefined && point.value !== null ? ` ${point.unit}` : '';
  return `${formatValue(point.value)}${unit}`;
}

function renderAlarms(alarms) {
  const box = document.getElementById('alarms');
  if (alarms.length === 0) return box.replaceChildren(el('span', { class: 'badge ok' }, '无报警 no alarms'));
  box.replaceChildren(el('table', {}, el('tbody', {}, ...alarms.map((alarm) =>
    el('tr', { class: `alarm level-${alarm.level}`, 'data-alarm': alarm.alarmId },
      el('td', {}, el('span', { class: `badge level-${alarm.level}` }, LEVEL[alarm.level] || alarm.level), alarm.test ? el('div', { class: 'muted' }, '测试 test') : null),
      el('td', { class: 'alarm-place' }, alarm.location.zh || alarm.source, el('div', { class: 'muted' }, alarm.location.en)),
      el('td', { class: 'alarm-text' }, alarm.text.zh, el('div', { class: 'muted' }, alarm.text.en)),
      el('td', { class: 'alarm-time' }, time(alarm.raisedTs), el('div', { class: 'muted' }, `${STATE[alarm.state] || alarm.state}${alarm.silenced ? ' · 已消音 silenced' : ''}`)),
      el('td', { class: 'alarm-actions' },
        alarm.state === 'raised' ? actionButton('acknowledge', alarm.alarmId, '确认 Acknowledge') : null,
        alarm.silenced ? null : actionButton('silence', alarm.alarmId, '消音 Silence')))))));
}

function actionButton(action, alarmId, label) {
  const button = el('button', { type: 'button', class: 'action', 'data-action': action }, label);
  button.addEventListener('click', async () => {
    const response = await fetch('/api/alarm-action', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action, alarmId }) });
    button.textContent = response.ok ? '已发送 sent' : `失败 failed ${response.status}`;
  });
  return button;
}

function renderOutputs(outputs) {
  const box = document.getElementById('outputs');
  if (outputs.length === 0) return box.replaceChildren(el('span', { class: 'badge unknown' }, '未配置 / not configured'));
  box.replaceChildren(...outputs.map((output) =>
    el('div', { class: 'output', 'data-output': output.id },
      `${ROLE[output.role] || output.role} ${output.id}: `,
      output.level
        ? el('span', { class: `badge level-${output.level}` }, `${output.role === 'siren' ? '鸣响 sounding' : '闪烁 flashing'} · ${LEVEL[output.level] || output.level}`)
        : el('span', { class: 'badge ok' }, output.role === 'siren' ? '静音 quiet' : '熄灭 dark'))));
}

function renderSource(source) {
  const status = source.online === undefined || source.online === null
    ? el('span', { class: 'badge unknown' }, '等待 waiting')
    : el('span', { class: `badge ${source.online ? 'ok' : 'offline'}` }, source.online ? '在线 online' : '离线 offline');
  const rows = source.points.map((point) =>
    el('tr', { 'data-point': point.id },
      el('td', {}, point.name ? point.name.zh : point.id, el('div', { class: 'muted' }, point.name ? point.name.en : '')),
      el('td', { class: 'value' }, shownValue(point)),
      el('td', {}, point.quality ? el('span', { class: `badge ${point.quality}` }, QUALITY[point.quality] || point.quality) : '—',
        point.fault ? el('div', { class: 'error' }, both(point.fault.text)) : null),
      el('td', { class: 'muted' }, time(point.ts))));
  const counters = Object.entries(source.counters).map(([kind, n]) => `${kind} ×${n}`).join(', ');
  return el('article', { class: 'source', 'data-source': source.id },
    el('h3', {}, source.id, ' ', status),
    el('div', { class: 'place' }, place(source.tags)),
    el('div', { class: 'muted' }, both(source.profileName), ` (${source.profile})`),
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
    renderAlarms(state.alarms);
    renderOutputs(state.outputs);
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
