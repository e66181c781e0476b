// The grid worker's phone page (/m): zh-CN first, 360–414 px wide, one column; each case dispatched to
// the user shows where first (compound, building, unit, floor, room, device), then what happened and what
// to do, then the two actions: 已到场 (arrived) and 处理完毕 (handled, with a note and an optional photo).
// Same rules as the board: served from the console's origin, DOM from data only, no inline script.
import { PAGE_COMMON } from './page-common.js';

export const PHONE_STYLE = `
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;background:#f4f5f7;color:#1d2329;font-size:16px}
header{background:#1f3a5f;color:#fff;padding:10px 12px;display:flex;gap:8px;align-items:center;flex-wrap:wrap}
header h1{font-size:17px;margin:0;flex:1 1 auto}header button{background:#fff;border:0;border-radius:4px;padding:6px 10px}
main{padding:8px}#login{margin:40px 12px;background:#fff;padding:16px;border-radius:8px}
#login input{display:block;width:100%;margin:6px 0 12px;padding:10px;box-sizing:border-box;font-size:16px}
.job{background:#fff;border-radius:8px;margin:0 0 12px;padding:12px;border-left:8px solid #999;box-shadow:0 1px 2px #0002}
.job.fire{border-color:#d32f2f}.job.alarm{border-color:#f57c00}.job.fault{border-color:#fbc02d}.job.warning{border-color:#1976d2}
.where{font-size:20px;font-weight:bold;margin:0 0 4px}.where-detail{font-size:16px;margin:0 0 8px}
.what{font-size:15px;margin:0 0 6px}.todo{background:#fff3cd;border-radius:6px;padding:8px;margin:6px 0;font-size:15px}
.meta{font-size:13px;color:#555}.arrived-at{color:#2e7d32;font-weight:bold}
.job button{display:block;width:100%;padding:12px;margin:8px 0 0;font-size:17px;border:0;border-radius:6px;background:#1f3a5f;color:#fff}
.job button.arrive{background:#2e7d32}.job textarea{width:100%;box-sizing:border-box;font-size:16px;min-height:64px;margin-top:8px}
.job input[type=file]{margin-top:8px;max-width:100%}.error{color:#c62828}#none{text-align:center;color:#555}
#lost-banner{background:#b71c1c;color:#fff;font-weight:bold;padding:8px 12px;margin:0}
`;

export const PHONE_PAGE = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>网格员 · 我的任务</title><link rel="stylesheet" href="/m.css"></head>
<body>
<div id="login" hidden>
  <h2 data-t="login">登录</h2>
  <label><span data-t="user">用户名</span><input id="user" autocomplete="username"></label>
  <label><span data-t="password">密码</span><input id="password" type="password" autocomplete="current-password"></label>
  <button id="login-button" data-t="login">登录</button> <span id="error"></span>
</div>
<div id="app" hidden>
  <header><h1 data-t="myJobs">我的任务</h1><span id="who"></span><button id="lang">EN</button></header>
  <p id="lost-banner" hidden data-t="lost">与服务器失去连接</p>
  <main><div id="jobs"></div><p id="none" hidden data-t="noJobs">暂无派给您的警情</p></main>
</div>
<script src="/m.js" defer></script>
</body></html>`;

const PHONE_CODE = String.raw`
Object.assign(T.zh, { myJobs: "我的任务", noJobs: "暂无派给您的警情", arrive: "已到场", arrivedAt: "已到场", done: "处理完毕", handledNote: "处理情况（必填）", photo: "现场照片（可选）",
  building: "号楼", unitSuffix: "单元", floorSuffix: "层", roomSuffix: "室", dispatchedAt: "派单", needNote: "请填写处理情况",
  todo_fire: "立即到场确认火情；有明火先拨打119，组织疏散，切断电源。", todo_alarm: "到场检查设备与周围环境，排除隐患（如断开过载线路）。",
  todo_fault: "检查设备供电与线路，无法修复请联系维保单位。", todo_warning: "到场查看，记录情况，必要时通知物业。", todo_offline: "检查设备与网关供电和网络。" });
Object.assign(T.en, { myJobs: "My jobs", noJobs: "Nothing dispatched to you", arrive: "I am on site", arrivedAt: "on site", done: "Handled", handledNote: "What was found and done (required)", photo: "Site photo (optional)",
  building: "", unitSuffix: "", floorSuffix: "", roomSuffix: "", dispatchedAt: "dispatched", needNote: "Describe what was done",
  todo_fire: "Go now and confirm the fire; with open flame call 119 first, evacuate, cut the power.", todo_alarm: "Check the device and its surroundings; remove the hazard (e.g. an overloaded circuit).",
  todo_fault: "Check the device's power and wiring; call the maintenance company if it cannot be fixed.", todo_warning: "Go and look, note what you find, tell the property office if needed.", todo_offline: "Check power and network of the device and gateway." });

function show(loggedIn) { $("login").hidden = loggedIn; $("app").hidden = !loggedIn; }

/** Building, unit, floor, room from the case's tags, as a resident would say them. */
function place(tags) {
  const zh = lang === "zh";
  const parts = [];
  if (tags.building) parts.push(zh ? tags.building + t("building") : "building " + tags.building);
  if (tags.unit) parts.push(zh ? tags.unit + t("unitSuffix") : "unit " + tags.unit);
  if (tags.floor) parts.push(zh ? tags.floor + t("floorSuffix") : "floor " + tags.floor);
  if (tags.room) parts.push(zh ? tags.room + t("roomSuffix") : "room " + tags.room);
  return parts.join(" ");
}

function job(c) {
  const arrived = c.steps.find((s) => s.step === "arrived");
  const dispatched = c.steps.filter((s) => s.step === "dispatched").pop();
  return h("div", { class: "job " + c.level, "data-case": c.caseId, "data-version": c.version },
    h("p", { class: "where" }, named("compounds", c.compound)),
    h("p", { class: "where-detail" }, place(c.tags), " · ", named("sources", c.source, c.gateway)),
    h("p", { class: "what" }, "[" + t(c.level) + "] " + (c.text[lang] || c.text.zh) + (c.value !== undefined && typeof c.value !== "boolean" ? " = " + valueText(c.value, undefined, c.point) : "")),
    h("p", { class: "todo", text: t("todo_" + c.level) }),
    h("p", { class: "meta" }, (dispatched ? t("dispatchedAt") + " " + when(dispatched.at) + " · " + dispatched.by : ""), (c.dueAt ? " · " + t("due") + " " + clock(c.dueAt) : "")),
    arrived ? h("p", { class: "arrived-at", text: t("arrivedAt") + " " + when(arrived.at) }) : h("button", { class: "arrive", text: t("arrive") }),
    h("textarea", { class: "note", placeholder: t("handledNote") }),
    h("label", { class: "meta" }, t("photo"), h("input", { type: "file", class: "photo", accept: "image/jpeg,image/png", capture: "environment" })),
    h("button", { class: "done", text: t("done") }),
    h("p", { class: "error" }));
}

async function loadJobs() {
  const list = await api("/api/mine");
  const root = $("jobs");
  const drafts = new Map([...root.querySelectorAll(".job")].map((el) => [el.dataset.case, el.querySelector(".note").value]));
  root.replaceChildren(...list.map((c) => { const el = job(c); if (drafts.get(c.caseId)) el.querySelector(".note").value = drafts.get(c.caseId); return el; }));
  $("none").hidden = list.length > 0;
}

function readPhoto(input) {
  const file = input.files && input.files[0];
  if (!file) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => { const r = new FileReader(); r.onload = () => resolve(r.result); r.onerror = () => reject(r.error); r.readAsDataURL(file); });
}

$("jobs").addEventListener("click", async (e) => {
  const el = e.target.closest(".job");
  if (!el || e.target.tagName !== "BUTTON") return;
  const id = encodeURIComponent(el.dataset.case);
  el.querySelector(".error").textContent = "";
  try {
    if (e.target.classList.contains("arrive")) await api("/api/alarms/" + id + "/arrived", {});
    else {
      const note = el.querySelector(".note").value.trim();
      if (!note) { el.querySelector(".error").textContent = t("needNote"); return; }
      const photo = await readPhoto(el.querySelector(".photo"));
      await api("/api/alarms/" + id + "/handled", photo ? { version: Number(el.dataset.version), note, photo } : { version: Number(el.dataset.version), note });
    }
    await loadJobs();
  } catch (err) { el.querySelector(".error").textContent = err.message; }
});

function applyLang() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  $("lang").textContent = lang === "zh" ? "EN" : "中";
}

async function start() {
  let me;
  try { me = await api("/api/me"); } catch (_e) { show(false); return; }
  show(true);
  Object.assign(views, await api("/api/views"));
  $("who").textContent = me.displayName;
  await loadJobs();
  const feed = new EventSource("/api/events");
  let last = Date.now();
  feed.addEventListener("heartbeat", () => { last = Date.now(); $("lost-banner").hidden = true; });
  feed.addEventListener("alarm", () => { last = Date.now(); loadJobs().catch(() => undefined); });
  setInterval(() => { if (Date.now() - last > 5000) $("lost-banner").hidden = false; }, 1000);
}

$("login-button").addEventListener("click", async () => {
  try { await api("/api/login", { user: $("user").value, password: $("password").value }); $("error").textContent = ""; await start(); }
  catch (_e) { $("error").textContent = t("loginFailed"); }
});
$("password").addEventListener("keydown", (e) => { if (e.key === "Enter") $("login-button").click(); });
$("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("lm-lang", lang); applyLang(); loadJobs().catch(() => undefined); });
applyLang();
start();
`;

export const PHONE_SCRIPT = PAGE_COMMON + PHONE_CODE;
