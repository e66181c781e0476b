// Browser code shared by the console page's parts: texts (zh-CN first, en beside), and h(), the one way
// the page makes DOM: elements from data with textContent, never HTML strings (the CSP forbids inline
// script anyway; this keeps a gateway's alarm text from ever becoming markup). Plain ES2020 in a string.
export const PAGE_COMMON = String.raw`
"use strict";
const T = {
  zh: { title: "街道综治中心 · 警情看板", login: "登录", user: "用户名", password: "密码", logout: "退出", board: "警情",
    gateways: "网关与传感器", series: "最近数据", noHistory: "未配置时序数据库：只在内存中保留最近数据，历史数据不会保存。",
    open: "待处置", confirmed: "已确认", dispatched: "已派单", handled: "已处理", closed: "已结案", escalated: "超时升级", reset: "复位",
    confirm: "确认", dispatch: "派单", handle: "处理完毕", close: "结案", doReset: "复位",
    to: "派给谁（人员或队伍）", note: "处理说明", closeNote: "说明（误报须写原因）", online: "在线", offline: "离线", lastSeen: "最后通信",
    spool: "积压", never: "从未连接", fire: "火警", alarm: "报警", fault: "故障", warning: "预警", compound: "小区", gateway: "网关",
    sources: "传感器", none: "暂无警情", loginFailed: "用户名或密码错误",
    gw_alarming: "报警中", gw_reset: "已复位", gw_recovered: "已恢复", overdue: "超时", test: "测试",
    arrived: "已到场", photoLink: "现场照片", real: "真实警情", false_alarm: "误报", phone: "电话", video: "视频", patrol: "巡查",
    real_handled: "真实隐患已处置", device_fault: "设备故障", first: "首次", last: "最近", times: "次", due: "时限", assignee: "负责人",
    viewOpen: "待办", viewArchive: "归档", mine: "我的", overdueOnly: "只看超时", allLevels: "全部级别", allCompounds: "全部小区",
    risk: "风险", risk_red: "红", risk_orange: "橙", risk_yellow: "黄", risk_green: "绿", csv: "导出 CSV", stats: "统计（近30天）", cases: "警情", closureRate: "结案率", toConfirm: "确认 中位/P90", toDispatch: "派单 中位/P90", toClose: "结案 中位/P90", falseRate: "误报率", flaggedDevices: "误报偏多的设备", repeatHazards: "重复隐患（7天内）",
    lost: "与服务器失去连接：看板上的状态可能已过时，正在重连…", memoryChart: "未配置时序数据库：这里只是内存中的最近数据，不是历史。", eventSource: "事件型，心跳", value: "值",
    search: "搜索", more: "还有 {n} 条未显示，请用筛选缩小范围", newFire: "新火警", late: "超时环节", by: "经办", conflict: "冲突" },
  en: { title: "Township centre · alarm board", login: "Log in", user: "User", password: "Password", logout: "Log out", board: "Alarms",
    gateways: "Gateways and sensors", series: "Recent data", noHistory: "No time-series database configured: only a recent window is kept in memory; history is not stored.",
    open: "open", confirmed: "confirmed", dispatched: "dispatched", handled: "handled", closed: "closed", escalated: "escalated", reset: "reset",
    confirm: "Confirm", dispatch: "Dispatch", handle: "Handled", close: "Close", doReset: "Reset",
    to: "sent to (person or team)", note: "note", closeNote: "note (a false alarm needs its cause)", online: "online", offline: "offline", lastSeen: "last seen",
    spool: "backlog", never: "never connected", fire: "FIRE", alarm: "alarm", fault: "fault", warning: "warning", compound: "compound", gateway: "gateway",
    sources: "sensors", none: "no alarms", loginFailed: "wrong user name or password",
    gw_alarming: "alarming", gw_reset: "reset", gw_recovered: "recovered", overdue: "OVERDUE", test: "test",
    arrived: "on site", photoLink: "site photo", real: "real", false_alarm: "false alarm", phone: "phone", video: "video", patrol: "patrol",
    real_handled: "real hazard handled", device_fault: "device fault", first: "first", last: "last", times: "×", due: "due", assignee: "assignee",
    viewOpen: "Open", viewArchive: "Archive", mine: "Mine", overdueOnly: "Overdue only", allLevels: "All levels", allCompounds: "All compounds",
    risk: "risk", risk_red: "red", risk_orange: "orange", risk_yellow: "yellow", risk_green: "green", csv: "Export CSV", stats: "Statistics (last 30 days)", cases: "cases", closureRate: "closure rate", toConfirm: "confirm median/p90", toDispatch: "dispatch median/p90", toClose: "close median/p90", falseRate: "false-alarm rate", flaggedDevices: "Devices that cry wolf", repeatHazards: "Repeat hazards (7 days)",
    lost: "Connection to the server lost: the board may be out of date; reconnecting…", memoryChart: "No time-series database: this is the recent window in memory, not history.", eventSource: "event-only, heartbeat", value: "value",
    search: "Search", more: "{n} more not shown; narrow the filters", newFire: "New fire alarm", late: "late step", by: "by", conflict: "conflict" },
};
let lang = localStorage.getItem("lm-lang") || "zh";
const $ = (id) => document.getElementById(id);
const t = (k) => (T[lang][k] !== undefined ? T[lang][k] : k);
const when = (ms) => (ms ? new Date(ms).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB") : t("never"));
const clock = (ms) => new Date(ms).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB", { hour12: false });
const dur = (ms) => { const s = Math.round(ms / 1000); return s < 120 ? s + "s" : s < 7200 ? Math.round(s / 60) + "min" : Math.round(s / 3600) + "h"; };

/** Display names and units from /api/views (config views.names / views.fields); ids until loaded. */
const views = { names: { townships: {}, compounds: {}, gateways: {}, sources: {} }, fields: [] };
function nameOf(kind, id, gateway) { const n = views.names[kind] || {}; return (gateway && n[gateway + "/" + id]) || n[id] || id; }
/** A display name with its id on hover (title), so an installer can still find the device. */
function named(kind, id, gateway) { const name = nameOf(kind, id, gateway); return h("span", { class: "name", title: name !== id ? id : undefined, "data-id": id, text: name }); }
function fieldOf(measurement, field) { return views.fields.find((f) => f.field === field && f.measurement === measurement) || views.fields.find((f) => f.field === field && !f.measurement); }
function fieldLabel(measurement, field) { const f = fieldOf(measurement, field); return f && f.name ? (lang === "en" && f.name.en) || f.name.zh : field; }
function valueText(value, measurement, field) {
  const f = fieldOf(measurement, field);
  const v = typeof value === "number" ? String(Math.round(value * 1000) / 1000) : String(value);
  return f && f.unit ? v + " " + f.unit : v;
}

/** An element from data: props set as properties (text → textContent), children appended as nodes or text. */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = String(v);
    else if (k.startsWith("data-") || k === "list" || k === "for") el.setAttribute(k, String(v));
    else el[k] = v;
  }
  for (const c of children.flat(Infinity)) if (c !== undefined && c !== null && c !== false && c !== "") el.append(c instanceof Node ? c : String(c));
  return el;
}

function options(cls, values, label) {
  return h("select", { class: cls }, values.map((v) => h("option", { value: v, text: label ? label(v) : t(v) })));
}

async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (res.status === 401 && path !== "/api/login") { show(false); throw new Error("login required"); }
  const data = await res.json();
  if (!res.ok) { const e = new Error(data.error || res.statusText); e.conflict = !!data.conflict; throw e; }
  return data;
}
`;
