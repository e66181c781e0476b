// Browser code of the console page's other panels and start-up: login, gateway status, recent series and
// a chart (SVG made with createElementNS), the live feed (Server-Sent Events), language switch. The whole
// script is served from /console.js (same origin, no inline script under the CSP).
import { PAGE_BOARD } from './page-board.js';
import { PAGE_COMMON } from './page-common.js';

const PAGE_PANELS = String.raw`
async function renderGateways() {
  const list = await api("/api/gateways");
  const head = h("tr", {}, [t("compound"), t("gateway"), t("lastSeen"), t("spool"), t("sources")].map((x) => h("th", { text: x })));
  const rows = list.map((g) => h("tr", { "data-gateway": g.gateway },
    h("td", { text: g.compound }),
    h("td", {}, g.gateway + " ", h("span", { class: g.connected ? "on" : "off", text: g.connected ? t("online") : t("offline") + (g.offlineForMs ? " " + dur(g.offlineForMs) : "") })),
    h("td", { text: when(g.lastSeen) }),
    h("td", { text: g.spool ? Math.round(g.spool.telemetryBytes / 1024) + " KB / " + g.spool.alarmEvents : "–" }),
    h("td", {}, g.sources.map((s) => [h("span", { class: s.online ? "on" : "off", title: s.lastError || "", text: s.source }), " "]))));
  $("gateways").replaceChildren(head, ...rows);
  const series = await api("/api/series");
  $("series").replaceChildren(...series.slice(0, 50).map((s) => h("li", { "data-gateway": s.gateway, "data-source": s.source, "data-field": s.field, text: s.compound + " · " + s.source + " · " + s.field + " = " + String(s.lastValue) })));
}

function svg(tag, attrs, text) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

async function chart(li) {
  const q = new URLSearchParams({ gateway: li.dataset.gateway, source: li.dataset.source, field: li.dataset.field });
  const p = await api("/api/series/points?" + q);
  const W = 360, H = 140, min = Math.min(...p.values), max = Math.max(...p.values), t0 = p.ts[0], t1 = p.ts[p.ts.length - 1];
  const x = (v) => (t1 === t0 ? W / 2 : ((v - t0) / (t1 - t0)) * (W - 10) + 5), y = (v) => (max === min ? H / 2 : H - 15 - ((v - min) / (max - min)) * (H - 30));
  const path = p.ts.map((ts, i) => (i ? "L" : "M") + x(ts).toFixed(1) + "," + y(p.values[i]).toFixed(1)).join(" ");
  $("chart").replaceChildren(svg("svg", { width: W, height: H, role: "img" }));
  $("chart").firstChild.append(svg("text", { x: 4, y: 12, "font-size": 11 }, li.dataset.source + " " + li.dataset.field + " max " + max),
    svg("text", { x: 4, y: H - 2, "font-size": 11 }, "min " + min), svg("path", { d: path, fill: "none", stroke: "#1f3a5f", "stroke-width": 1.5 }));
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
  $("who").textContent = me.displayName + " · " + me.township;
  $("no-history").hidden = me.storesHistory;
  await loadBoard();
  applyLang();
  if (feed) feed.close();
  feed = new EventSource("/api/events");
  feed.addEventListener("alarm", (e) => upsert(JSON.parse(e.data)));
  // Changes between the first load and the feed connecting, or while it was reconnecting, are reloaded.
  feed.addEventListener("open", () => loadBoard(true).catch(() => undefined));
  feed.addEventListener("resync", () => loadBoard(true).catch(() => undefined));
  await renderGateways();
  setInterval(() => renderGateways().catch(() => undefined), 5000);
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
$("series").addEventListener("click", (e) => { if (e.target.dataset.source) chart(e.target); });
applyLang();
start();
`;

export const PAGE_SCRIPT = PAGE_COMMON + PAGE_BOARD + PAGE_PANELS;
