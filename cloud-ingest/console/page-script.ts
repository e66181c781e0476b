// Browser code of the console page's other panels and start-up: login, gateway status (names, event-only
// sources by their heartbeat), recent series with units, the live feed (Server-Sent Events) and its
// heartbeat watch (the red banner), language switch. The whole
// script is served from /console.js (same origin, no inline script under the CSP).
import { PAGE_BOARD } from './page-board.js';
import { PAGE_CHART } from './page-chart.js';
import { PAGE_COMMON } from './page-common.js';
import { PAGE_STATS } from './page-stats.js';

const PAGE_PANELS = String.raw`
async function renderGateways() {
  const list = await api("/api/gateways");
  const head = h("tr", {}, [t("compound"), t("gateway"), t("lastSeen"), t("spool"), t("sources")].map((x) => h("th", { text: x })));
  const sourceState = (g, s) => h("span", { class: s.online ? "on" : "off", title: s.source + (s.heartbeatMs ? " · " + t("eventSource") + " " + dur(s.heartbeatMs) : "") + (s.lastError ? " · " + s.lastError : "") + (s.lastSeen ? " · " + when(s.lastSeen) : ""), "data-source": s.source, text: nameOf("sources", s.source, g.gateway) });
  const rows = list.map((g) => h("tr", { "data-gateway": g.gateway },
    h("td", {}, named("compounds", g.compound)),
    h("td", {}, named("gateways", g.gateway), " ", h("span", { class: g.connected ? "on" : "off", text: g.connected ? t("online") : t("offline") + (g.offlineForMs ? " " + dur(g.offlineForMs) : "") })),
    h("td", { text: when(g.lastSeen) }),
    h("td", { text: g.spool ? Math.round(g.spool.telemetryBytes / 1024) + " KB / " + g.spool.alarmEvents : "–" }),
    h("td", {}, g.sources.map((s) => [sourceState(g, s), " "]))));
  $("gateways").replaceChildren(head, ...rows);
  const series = await api("/api/series");
  // A stable order (compound, gateway, source, field), so the list does not jump every 5 s.
  series.sort((a, b) => a.compound.localeCompare(b.compound) || a.gateway.localeCompare(b.gateway) || a.source.localeCompare(b.source) || a.field.localeCompare(b.field));
  $("series").replaceChildren(...series.slice(0, 200).map((s) => h("li", { "data-gateway": s.gateway, "data-source": s.source, "data-field": s.field, "data-measurement": s.measurement, title: s.gateway + " · " + s.source + " · " + s.measurement + "." + s.field },
    nameOf("compounds", s.compound) + " · " + nameOf("sources", s.source, s.gateway) + " · " + fieldLabel(s.measurement, s.field) + " = ", h("b", { text: valueText(s.lastValue, s.measurement, s.field) }))));
}

function chart(li) {
  const d = li.dataset;
  const key = { gateway: d.gateway, source: d.source, measurement: d.measurement, field: d.field, label: nameOf("sources", d.source, d.gateway) + " · " + fieldLabel(d.measurement, d.field), fieldLabel: fieldLabel(d.measurement, d.field) };
  showHistory(key, board.me.storesHistory ? chartState.range : "24h").catch((e) => ($("chart").textContent = e.message));
}

/** The red banner when the server is gone: no heartbeat (sent every 2 s) for 5 s, or the feed failed. */
const liveness = { last: 0, timer: undefined };
function heard() { liveness.last = Date.now(); $("lost-banner").hidden = true; }
function watchServer() {
  clearInterval(liveness.timer);
  liveness.last = Date.now();
  liveness.timer = setInterval(() => { if (Date.now() - liveness.last > 5000) $("lost-banner").hidden = false; }, 500);
}

function show(loggedIn) { $("login").hidden = loggedIn; $("app").hidden = !loggedIn; }

function applyLang() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  document.querySelectorAll("[data-tp]").forEach((el) => { el.placeholder = t(el.dataset.tp); });
  $("lang").textContent = lang === "zh" ? "EN" : "中";
  renderBoard();
}

let feed;
async function start() {
  let me;
  try { me = await api("/api/me"); } catch (_e) { show(false); return; }
  board.me = me;
  show(true);
  $("no-history").hidden = me.storesHistory;
  Object.assign(views, await api("/api/views"));
  $("who").replaceChildren(me.displayName + " · ", named("townships", me.township));
  await loadBoard();
  applyLang();
  if (feed) feed.close();
  feed = new EventSource("/api/events");
  watchServer();
  feed.addEventListener("heartbeat", heard);
  feed.addEventListener("error", () => { if (feed.readyState !== EventSource.OPEN) $("lost-banner").hidden = false; });
  feed.addEventListener("alarm", (e) => { heard(); upsert(JSON.parse(e.data)); });
  // Changes between the first load and the feed connecting, or while it was reconnecting, are reloaded.
  feed.addEventListener("open", () => { heard(); loadBoard(true).catch(() => undefined); });
  feed.addEventListener("resync", () => loadBoard(true).catch(() => undefined));
  await renderGateways();
  setInterval(() => renderGateways().catch(() => undefined), 5000);
  await renderStats().catch((e) => ($("stats").textContent = e.message));
  setInterval(() => renderStats().catch(() => undefined), 60_000);
}

function unlockAlerts() {
  // Sound and notifications need a user gesture: the login click (or the first click on the page).
  try { board.audio = board.audio || new AudioContext(); if (board.audio.state === "suspended") board.audio.resume(); } catch (_e) { board.audio = undefined; }
  if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
}

$("login-button").addEventListener("click", async () => {
  unlockAlerts();
  try { await api("/api/login", { user: $("user").value, password: $("password").value }); $("error").textContent = ""; await start(); }
  catch (_e) { $("error").textContent = t("loginFailed"); }
});
document.addEventListener("click", unlockAlerts, { once: true });
$("password").addEventListener("keydown", (e) => { if (e.key === "Enter") $("login-button").click(); });
$("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("lm-lang", lang); applyLang(); if (!$("app").hidden) renderGateways().catch(() => undefined); });
$("logout").addEventListener("click", async () => { await api("/api/logout", {}); location.reload(); });
$("series").addEventListener("click", (e) => { const li = e.target.closest("li"); if (li && li.dataset.source) chart(li); });
applyLang();
start();
`;

export const PAGE_SCRIPT = PAGE_COMMON + PAGE_BOARD + PAGE_CHART + PAGE_STATS + PAGE_PANELS;
