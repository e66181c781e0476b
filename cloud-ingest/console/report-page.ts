// The printable report for the centre's leader (/report?day=YYYY-MM-DD&period=day|week), zh-CN first:
// the period's figures, a row per compound with its risk colour, the devices that cry wolf, repeat hazards
// and night-time electricity. Built in the browser from /api/stats, /api/risk and /api/night-energy (DOM
// from data only, no inline script); @media print drops the buttons. Plain ES2020 in a string.
import { PAGE_COMMON } from './page-common.js';

export const REPORT_STYLE = `
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:16px;color:#111;max-width:960px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:16px 0 6px;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{border:1px solid #bbb;padding:3px 5px;text-align:left}
.figures{display:flex;flex-wrap:wrap;gap:8px}.figures div{border:1px solid #bbb;border-radius:4px;padding:6px 10px}
.figures b{display:block;font-size:18px}.risk{font-weight:bold}.risk.red{color:#c62828}.risk.orange{color:#e65100}.risk.yellow{color:#a67c00}.risk.green{color:#2e7d32}
.toolbar{margin:8px 0}.wide{overflow-x:auto}@media print{.toolbar{display:none}body{margin:0}}
`;

export const REPORT_PAGE = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>综治中心日报</title><link rel="stylesheet" href="/report.css"></head>
<body><div id="login" hidden><p>请先在 <a href="/">看板</a> 登录 / log in on the board first</p></div>
<div id="app" hidden><div class="toolbar"><input id="day" type="date"> <select id="period"><option value="day">日报</option><option value="week">周报</option></select>
<button id="print">打印 / Print</button> <a id="csv">CSV</a></div><div id="report"></div></div>
<script src="/report.js" defer></script></body></html>`;

const REPORT_CODE = String.raw`
function show(loggedIn) { $("login").hidden = loggedIn; $("app").hidden = !loggedIn; }
const OFFSET = 8 * 3600 * 1000;
const fmtPct = (x) => (x === undefined || x === null ? "–" : Math.round(x * 1000) / 10 + "%");
const fmtDur = (d) => (d.median === undefined ? "–" : dur(d.median) + " / " + dur(d.p90));
const RISK_ZH = { red: "红", orange: "橙", yellow: "黄", green: "绿" };

function period() {
  const q = new URLSearchParams(location.search);
  const today = new Date(Date.now() + OFFSET).toISOString().slice(0, 10);
  const day = /^\d{4}-\d{2}-\d{2}$/.test(q.get("day") || "") ? q.get("day") : today;
  const kind = q.get("period") === "week" ? "week" : "day";
  const start = Date.parse(day + "T00:00:00Z") - OFFSET;
  return { day, kind, from: kind === "week" ? start - 6 * 86400000 : start, to: start + 86400000 };
}

async function render() {
  const p = period();
  $("day").value = p.day; $("period").value = p.kind;
  $("csv").href = "/api/stats.csv?" + new URLSearchParams({ from: String(p.from), to: String(p.to) });
  const [me, s, risk] = await Promise.all([api("/api/me"), api("/api/stats?" + new URLSearchParams({ from: String(p.from), to: String(p.to) })), api("/api/risk")]);
  Object.assign(views, await api("/api/views"));
  const night = me.storesHistory ? await api("/api/night-energy").catch(() => undefined) : undefined;
  show(true);
  const title = nameOf("townships", me.township) + " · " + (p.kind === "week" ? "周报" : "日报") + " · " + (p.kind === "week" ? new Date(p.from + OFFSET).toISOString().slice(0, 10) + " — " : "") + p.day;
  document.title = title;
  const fig = (label, value) => h("div", {}, label, h("b", { text: value }));
  const riskOf = new Map(risk.map((r) => [r.compound, r]));
  const rows = [...new Set([...risk.map((r) => r.compound), ...Object.keys(s.compounds)])].map((compound) => {
    const c = s.compounds[compound] || { cases: 0, closed: 0, closureRate: undefined, toClose: {}, overdue: 0 };
    const k = riskOf.get(compound) || { colour: "green", reasons: [] };
    const fa = s.falseAlarmsByCompound.find((r) => r.compound === compound);
    return h("tr", { "data-compound": compound }, h("td", {}, nameOf("compounds", compound)), h("td", { class: "risk " + k.colour, text: RISK_ZH[k.colour] + (k.reasons.length ? "（" + k.reasons.join("，") + "）" : "") }),
      h("td", { text: c.cases }), h("td", { text: c.closed }), h("td", { text: fmtPct(c.closureRate) }), h("td", { text: fmtDur(c.toClose) }), h("td", { text: c.overdue }), h("td", { text: fa ? fmtPct(fa.rate) : "–" }));
  });
  const table = (head, body) => h("div", { class: "wide" }, h("table", {}, h("tr", {}, head.map((x) => h("th", { text: x }))), ...body));
  const wolves = s.falseAlarmsByDevice.filter((d) => d.flagged).map((d) => h("tr", {}, h("td", { text: nameOf("compounds", d.compound) }), h("td", { text: nameOf("sources", d.source, d.gateway) }), h("td", { text: d.falseAlarms + "/" + d.closed }), h("td", { text: fmtPct(d.rate) })));
  const repeats = s.repeatHazards.map((r) => h("tr", {}, h("td", { text: nameOf("compounds", r.compound) }), h("td", { text: nameOf("sources", r.source, r.gateway) }), h("td", { text: r.rule }), h("td", { text: r.cases })));
  const nights = night ? night.meters.filter((m) => m.flagged).map((m) => h("tr", {}, h("td", { text: nameOf("compounds", m.compound) }), h("td", { text: nameOf("sources", m.source, m.gateway) }), h("td", { text: (Math.round(m.lastNight * 100) / 100) + " kWh" }), h("td", { text: (Math.round((m.baseline || 0) * 100) / 100) + " kWh" }))) : [];
  const none = () => h("p", { text: "无 / none" });
  $("report").replaceChildren(
    h("h1", { text: title }),
    h("div", { class: "figures" }, fig("警情 cases", String(s.cases)), fig("结案率 closure", fmtPct(s.closureRate)), fig("超时 overdue", String(s.overdue)),
      fig("确认 中位/P90", fmtDur(s.toConfirm)), fig("派单 中位/P90", fmtDur(s.toDispatch)), fig("结案 中位/P90", fmtDur(s.toClose))),
    h("h2", { text: "各小区 / compounds" }), table(["小区", "风险", "警情", "结案", "结案率", "结案 中位/P90", "超时", "误报率"], rows),
    h("h2", { text: "误报偏多的设备 / devices that cry wolf" }), wolves.length ? table(["小区", "设备", "误报/结案", "误报率"], wolves) : none(),
    h("h2", { text: "重复隐患（7天内）/ repeat hazards" }), repeats.length ? table(["小区", "设备", "规则", "次数"], repeats) : none(),
    h("h2", { text: "夜间用电异常 / night-time electricity" }), night ? (nights.length ? table(["小区", "电表", "昨夜", "基线"], nights) : none()) : h("p", { text: "未配置时序数据库 / no time-series database" }));
}

function go() { location.search = new URLSearchParams({ day: $("day").value, period: $("period").value }).toString(); }
$("day").addEventListener("change", go);
$("period").addEventListener("change", go);
$("print").addEventListener("click", () => window.print());
render().catch(() => show(false));
`;

export const REPORT_SCRIPT = PAGE_COMMON + REPORT_CODE;
