// Browser code of the console page (plain ES2020 in a string; it runs in the browser, not in Node).
export const PAGE_SCRIPT = String.raw`
"use strict";
const T = {
  zh: { title: "街道综治中心 · 警情看板", login: "登录", user: "用户名", password: "密码", logout: "退出", board: "警情",
    gateways: "网关与传感器", series: "最近数据", noHistory: "未配置时序数据库：只在内存中保留最近数据，历史数据不会保存。",
    open: "待处置", dispatched: "已派单", handled: "已处理", closed: "已关闭", dispatch: "派单", handle: "处理完毕", close: "结案",
    to: "派给谁", note: "处理说明", online: "在线", offline: "离线", lastSeen: "最后通信", spool: "积压", never: "从未连接",
    fire: "火警", alarm: "报警", fault: "故障", warning: "预警", compound: "小区", gateway: "网关", sources: "传感器", ago: "前",
    loginFailed: "用户名或密码错误", none: "暂无警情" },
  en: { title: "Township centre · alarm board", login: "Log in", user: "User", password: "Password", logout: "Log out", board: "Alarms",
    gateways: "Gateways and sensors", series: "Recent data", noHistory: "No time-series database configured: only a recent window is kept in memory; history is not stored.",
    open: "open", dispatched: "dispatched", handled: "handled", closed: "closed", dispatch: "Dispatch", handle: "Handled", close: "Close",
    to: "sent to", note: "note", online: "online", offline: "offline", lastSeen: "last seen", spool: "backlog", never: "never connected",
    fire: "FIRE", alarm: "alarm", fault: "fault", warning: "warning", compound: "compound", gateway: "gateway", sources: "sensors", ago: "ago",
    loginFailed: "wrong user name or password", none: "no alarms" },
};
let lang = localStorage.getItem("lm-lang") || "zh";
const cases = new Map();
const RANK = { fire: 0, alarm: 1, fault: 2, warning: 3, offline: 4 };
const $ = (id) => document.getElementById(id);
const t = (k) => (T[lang][k] || k);
const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const when = (ms) => (ms ? new Date(ms).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB") : t("never"));
const dur = (ms) => { const s = Math.round(ms / 1000); return s < 120 ? s + "s" : s < 7200 ? Math.round(s / 60) + "min" : Math.round(s / 3600) + "h"; };

async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (res.status === 401 && path !== "/api/login") { show(false); throw new Error("login required"); }
  const data = await res.json();
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function applyLang() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  $("lang").textContent = lang === "zh" ? "EN" : "中";
  renderBoard();
}

function order(a, b) {
  return (a.step === "closed") - (b.step === "closed") || RANK[a.level] - RANK[b.level] || b.openedAt - a.openedAt;
}

/** What staff have typed (dispatch target, handling note) per case, and where the cursor is. */
function boardDrafts() {
  const drafts = new Map();
  for (const input of $("board").querySelectorAll("input")) {
    if (input.value !== "") drafts.set(input.closest(".case").dataset.case + " " + input.className, input.value);
  }
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("#board .case");
  return { drafts, focus: focused ? focused.dataset.case + " " + document.activeElement.className : undefined };
}

function restoreDrafts({ drafts, focus }) {
  for (const input of $("board").querySelectorAll("input")) {
    const key = input.closest(".case").dataset.case + " " + input.className;
    if (drafts.has(key)) input.value = drafts.get(key);
    if (key === focus) input.focus();
  }
}

// A new alarm re-renders the board; what a duty officer is typing into another case must survive that.
function renderBoard() {
  const list = [...cases.values()].sort(order);
  const typed = boardDrafts();
  $("board").innerHTML = list.length === 0 ? "<p>" + t("none") + "</p>" : list.map((c) => {
    const steps = c.steps.map((s) => "<li>" + t(s.step) + " · " + esc(s.by) + " · " + when(s.at) + (s.to ? " → " + esc(s.to) : "") + (s.note ? " · " + esc(s.note) : "") + "</li>").join("");
    let action = "";
    if (c.step === "open") action = '<input class="to" placeholder="' + t("to") + '"><button class="act" data-step="dispatched">' + t("dispatch") + "</button>";
    if (c.step === "dispatched") action = '<input class="note" placeholder="' + t("note") + '"><button class="act" data-step="handled">' + t("handle") + "</button>";
    if (c.step === "handled") action = '<button class="act" data-step="closed">' + t("close") + "</button>";
    return '<div class="case ' + esc(c.level) + " " + esc(c.step) + '" data-case="' + esc(c.caseId) + '" data-step="' + esc(c.step) + '">' +
      '<div class="title">[' + t(c.level) + "] " + esc(c.text[lang] || c.text.zh) + "</div>" +
      '<div class="meta">' + t("compound") + " " + esc(c.compound) + " · " + t("gateway") + " " + esc(c.gateway) + " · " + esc(c.source) + (c.value !== undefined ? " = " + esc(c.value) : "") +
      " · <b>" + t(c.step) + "</b></div><ol class=\"steps\">" + steps + "</ol>" + action + "</div>";
  }).join("");
  restoreDrafts(typed);
}

async function act(button) {
  const card = button.closest(".case");
  const body = { step: button.dataset.step };
  const to = card.querySelector(".to"), note = card.querySelector(".note");
  if (to) body.to = to.value.trim();
  if (note) body.note = note.value.trim();
  try { const c = await api("/api/alarms/" + encodeURIComponent(card.dataset.case) + "/step", body); cases.set(c.caseId, c); renderBoard(); }
  catch (e) { alert(e.message); }
}

async function renderGateways() {
  const list = await api("/api/gateways");
  const now = Date.now();
  $("gateways").innerHTML = "<tr><th>" + t("compound") + "</th><th>" + t("gateway") + "</th><th>" + t("lastSeen") + "</th><th>" + t("spool") + "</th><th>" + t("sources") + "</th></tr>" +
    list.map((g) => "<tr data-gateway=\"" + esc(g.gateway) + "\"><td>" + esc(g.compound) + "</td><td>" + esc(g.gateway) + ' <span class="' + (g.connected ? "on" : "off") + '">' +
      (g.connected ? t("online") : t("offline") + (g.offlineForMs ? " " + dur(g.offlineForMs) : "")) + "</span></td><td>" + when(g.lastSeen) + "</td><td>" +
      (g.spool ? Math.round(g.spool.telemetryBytes / 1024) + " KB / " + g.spool.alarmEvents : "–") + "</td><td>" +
      g.sources.map((s) => '<span class="' + (s.online ? "on" : "off") + '" title="' + esc(s.lastError || "") + '">' + esc(s.source) + "</span>").join(" ") + "</td></tr>").join("");
  const series = await api("/api/series");
  $("series").innerHTML = series.slice(0, 50).map((s) => '<li data-gateway="' + esc(s.gateway) + '" data-source="' + esc(s.source) + '" data-field="' + esc(s.field) + '">' +
    esc(s.compound) + " · " + esc(s.source) + " · " + esc(s.field) + " = " + esc(s.lastValue) + "</li>").join("");
}

async function chart(li) {
  const q = new URLSearchParams({ gateway: li.dataset.gateway, source: li.dataset.source, field: li.dataset.field });
  const p = await api("/api/series/points?" + q);
  const W = 360, H = 140, min = Math.min(...p.values), max = Math.max(...p.values), t0 = p.ts[0], t1 = p.ts[p.ts.length - 1];
  const x = (v) => (t1 === t0 ? W / 2 : ((v - t0) / (t1 - t0)) * (W - 10) + 5), y = (v) => (max === min ? H / 2 : H - 15 - ((v - min) / (max - min)) * (H - 30));
  const path = p.ts.map((ts, i) => (i ? "L" : "M") + x(ts).toFixed(1) + "," + y(p.values[i]).toFixed(1)).join(" ");
  $("chart").innerHTML = '<svg width="' + W + '" height="' + H + '" role="img"><text x="4" y="12" font-size="11">' + esc(li.dataset.source + " " + li.dataset.field) + " max " + max + "</text>" +
    '<text x="4" y="' + (H - 2) + '" font-size="11">min ' + min + '</text><path d="' + path + '" fill="none" stroke="#1f3a5f" stroke-width="1.5"/></svg>';
}

function show(loggedIn) { $("login").hidden = loggedIn; $("app").hidden = !loggedIn; }

async function start() {
  let me;
  try { me = await api("/api/me"); } catch (_e) { show(false); return; }
  show(true);
  $("who").textContent = me.displayName + " · " + me.township;
  $("no-history").hidden = me.storesHistory;
  for (const c of await api("/api/alarms")) cases.set(c.caseId, c);
  applyLang();
  const events = new EventSource("/api/events");
  events.addEventListener("alarm", (e) => { const c = JSON.parse(e.data); cases.set(c.caseId, c); renderBoard(); });
  await renderGateways();
  setInterval(() => renderGateways().catch(() => undefined), 5000);
}

$("login-button").addEventListener("click", async () => {
  try { await api("/api/login", { user: $("user").value, password: $("password").value }); $("error").textContent = ""; await start(); }
  catch (_e) { $("error").textContent = t("loginFailed"); }
});
$("password").addEventListener("keydown", (e) => { if (e.key === "Enter") $("login-button").click(); });
$("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("lm-lang", lang); applyLang(); if (!$("app").hidden) renderGateways().catch(() => undefined); });
$("logout").addEventListener("click", async () => { await api("/api/logout", {}); location.reload(); });
$("board").addEventListener("click", (e) => { if (e.target.classList.contains("act")) act(e.target); });
$("series").addEventListener("click", (e) => { if (e.target.dataset.source) chart(e.target); });
applyLang();
start();
`;
