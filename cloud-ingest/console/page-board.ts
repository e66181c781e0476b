// Browser code of the alarm board: cases kept by id, filtered (open / mine / level / compound / overdue),
// rendered incrementally (a card is rebuilt only when its case changed, what an officer typed survives)
// and bounded (at most MAX_CARDS cards, so thousands of cases stay usable); the archive is searched on
// the server. A new fire case plays a sound and raises a browser notification. Plain ES2020 in a string.
export const PAGE_BOARD = String.raw`
const RANK = { fire: 0, alarm: 1, fault: 2, warning: 3, offline: 4 };
const MAX_CARDS = 200;
const board = { me: undefined, cases: new Map(), cards: new Map(), fireSeen: new Set(), staff: [], audio: undefined, alerts: 0 };

function order(a, b) { return RANK[a.level] - RANK[b.level] || b.openedAt - a.openedAt; }

function visible(c) {
  if (c.step === "closed") return false;
  const f = { mine: $("f-mine").checked, level: $("f-level").value, compound: $("f-compound").value, overdue: $("f-overdue").checked };
  if (f.mine && !(c.assignee === board.me.user || c.assignee === board.me.displayName || c.steps.some((s) => s.by === board.me.user))) return false;
  if (f.level && c.level !== f.level) return false;
  if (f.compound && c.compound !== f.compound) return false;
  if (f.overdue && !c.overdue) return false;
  return true;
}

function stepLine(s, c) {
  const parts = [t(s.step), s.by, when(s.at)];
  if (s.to) parts.push("→ " + s.to);
  if (s.confirmation) parts.push(t(s.confirmation) + (s.method ? " (" + t(s.method) + ")" : ""));
  if (s.cause) parts.push(t(s.cause));
  if (s.late) parts.push(t("late") + " " + t(s.late));
  if (s.note) parts.push(s.note);
  // A site photo from the grid worker's phone page, served to this township only.
  const photo = s.photo && c ? h("a", { class: "photo", href: "/api/photos/" + encodeURIComponent(c.caseId) + "/" + encodeURIComponent(s.photo), target: "_blank", rel: "noopener", text: t("photoLink") }) : undefined;
  return h("li", { class: "step-" + s.step }, parts.join(" · "), photo ? " · " : "", photo);
}

function actions(c) {
  const out = [];
  const next = c.next || [];
  if (next.includes("confirmed")) out.push(h("span", { class: "action" }, options("confirmation", ["real", "false_alarm", "test"]), options("method", ["phone", "video", "patrol"]), h("button", { class: "act", "data-step": "confirmed", text: t("confirm") })));
  if (next.includes("dispatched")) out.push(h("span", { class: "action" }, h("input", { class: "to", placeholder: t("to"), list: "staff-list" }), h("button", { class: "act", "data-step": "dispatched", text: t("dispatch") })));
  if (next.includes("handled")) out.push(h("span", { class: "action" }, h("input", { class: "note", placeholder: t("note") }), h("button", { class: "act", "data-step": "handled", text: t("handle") })));
  if (next.includes("closed")) {
    const causes = c.confirmation === "false_alarm" ? ["false_alarm"] : c.confirmation === "test" ? ["test"] : ["real_handled", "false_alarm", "device_fault", "test"];
    out.push(h("span", { class: "action" }, options("cause", causes), h("input", { class: "close-note", placeholder: t("closeNote") }), h("button", { class: "act", "data-step": "closed", text: t("close") })));
  }
  if (c.step !== "closed" && c.alarms.some((a) => a.state !== "cleared")) out.push(h("button", { class: "reset", text: t("doReset") }));
  return out;
}

function card(c, readOnly) {
  // A detector's true/false is its alarm itself, not a value worth showing.
  const value = c.value !== undefined && typeof c.value !== "boolean" ? " = " + valueText(c.value, undefined, c.point) : "";
  return h("div", { class: "case " + c.level + " " + c.step + (c.overdue ? " late" : "") + (c.isTest ? " test" : ""), "data-case": c.caseId, "data-step": c.step, "data-version": c.version },
    h("div", { class: "title" }, "[" + t(c.level) + "] ", c.text[lang] || c.text.zh, " ",
      h("span", { class: "gw-state " + c.gatewayState, text: t("gw_" + c.gatewayState) }),
      c.overdue && h("span", { class: "overdue", text: t("overdue") }),
      c.isTest && h("span", { class: "test-badge", text: t("test") })),
    h("div", { class: "meta" }, t("compound") + " ", named("compounds", c.compound), " · " + t("gateway") + " ", named("gateways", c.gateway), " · ", named("sources", c.source, c.gateway), value + " · ", h("b", { text: t(c.step) })),
    h("div", { class: "meta times" }, t("first") + " " + when(c.firstRaisedAt) + " · " + t("last") + " " + when(c.lastRaisedAt) + " · " + c.raiseCount + t("times") +
      (c.assignee ? " · " + t("assignee") + " " + c.assignee : "") + (c.dueAt && c.step !== "closed" ? " · " + t("due") + " " + clock(c.dueAt) + " " + t(c.dueStep) : "")),
    h("ol", { class: "steps" }, c.steps.map((s) => stepLine(s, c))),
    readOnly ? undefined : actions(c),
    h("div", { class: "error" }));
}

const cardKey = (c) => [c.revision, c.version, c.step, c.gatewayState, c.level, c.raiseCount, c.lastRaisedAt, c.overdue, c.escalations, c.assignee, c.steps.length, c.alarms.map((a) => a.state).join(","), lang].join("|");

/** Rebuilds changed cards only, keeping typed values; moves nodes only where the order changed. */
function renderBoard() {
  if (!board.me) return;
  const list = [...board.cases.values()].filter(visible).sort(order);
  const shown = list.slice(0, MAX_CARDS);
  const root = $("board");
  const focused = document.activeElement;
  const wanted = new Set(shown.map((c) => c.caseId));
  for (const [id, entry] of board.cards) if (!wanted.has(id)) { entry.el.remove(); board.cards.delete(id); }
  let cursor = root.firstChild;
  for (const c of shown) {
    let entry = board.cards.get(c.caseId);
    const key = cardKey(c);
    if (!entry || entry.key !== key) {
      const el = card(c, false);
      if (entry) { carryDrafts(entry.el, el); entry.el.replaceWith(el); if (cursor === entry.el) cursor = el; }
      entry = { el, key };
      board.cards.set(c.caseId, entry);
    }
    if (entry.el !== cursor) root.insertBefore(entry.el, cursor);
    else cursor = cursor.nextSibling;
  }
  if (focused && focused !== document.activeElement && document.contains(focused)) focused.focus();
  $("board-empty").hidden = list.length > 0;
  $("board-more").hidden = list.length <= MAX_CARDS;
  $("board-more").textContent = t("more").replace("{n}", String(list.length - MAX_CARDS));
  refreshCompounds();
}

function carryDrafts(from, to) {
  for (const field of from.querySelectorAll("input, select")) {
    const twin = to.querySelector(field.tagName.toLowerCase() + "." + field.className.split(" ")[0]);
    if (twin && field.value !== "" && [...(twin.options || [{ value: field.value }])].some((o) => o.value === field.value)) twin.value = field.value;
  }
}

function refreshCompounds() {
  const select = $("f-compound");
  const have = new Set([...select.options].map((o) => o.value));
  for (const c of [...new Set([...board.cases.values()].map((x) => x.compound))].sort()) if (!have.has(c)) select.append(h("option", { value: c, title: c, text: nameOf("compounds", c) }));
}

function upsert(c) {
  // Snapshots can arrive out of order (an HTTP answer and the live feed): keep the newest.
  const had = board.cases.get(c.caseId);
  if (had && had.revision > c.revision) return;
  // A closed case stays in the map (so a late, older snapshot cannot bring it back) but leaves the board.
  board.cases.set(c.caseId, c);
  if (c.level === "fire" && !c.isTest && c.step !== "closed" && !board.fireSeen.has(c.caseId)) {
    // New, or raised to fire on a case already open: either way the duty officer must hear it.
    board.fireSeen.add(c.caseId);
    alertFire(c);
  }
  renderBoard();
}

/** A new fire: a sound (WebAudio, unlocked by the login click), a browser notification, a banner. */
function alertFire(c) {
  board.alerts++;
  document.body.dataset.fireAlerts = String(board.alerts);
  const banner = $("fire-banner");
  banner.textContent = t("newFire") + " · " + nameOf("compounds", c.compound) + " · " + (c.text[lang] || c.text.zh);
  banner.hidden = false;
  const audio = board.audio;
  if (audio) {
    if (audio.state === "suspended") audio.resume();
    for (let i = 0; i < 3; i++) {
      const osc = audio.createOscillator(); const gain = audio.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.2; osc.connect(gain); gain.connect(audio.destination);
      const at = audio.currentTime + i * 0.5; osc.start(at); osc.stop(at + 0.3);
    }
  }
  if ("Notification" in window && Notification.permission === "granted") new Notification(t("newFire") + " · " + nameOf("compounds", c.compound), { body: c.text[lang] || c.text.zh, tag: c.caseId });
}

function stepBody(el, step, version) {
  const v = (cls) => { const f = el.querySelector("." + cls); return f ? f.value.trim() : ""; };
  if (step === "confirmed") return { step, version, confirmation: v("confirmation"), method: v("method") };
  if (step === "dispatched") return { step, version, to: v("to") };
  if (step === "handled") return { step, version, note: v("note") };
  const note = v("close-note");
  return note ? { step, version, cause: v("cause"), note } : { step, version, cause: v("cause") };
}

async function act(button) {
  const el = button.closest(".case");
  const id = el.dataset.case;
  const version = Number(el.dataset.version);
  el.querySelector(".error").textContent = "";
  try {
    const path = "/api/alarms/" + encodeURIComponent(id) + (button.classList.contains("reset") ? "/reset" : "/step");
    upsert(await api(path, button.classList.contains("reset") ? {} : stepBody(el, button.dataset.step, version)));
  } catch (e) {
    const now = board.cards.get(id);
    (now ? now.el : el).querySelector(".error").textContent = (e.conflict ? t("conflict") + ": " : "") + e.message;
    if (e.conflict) {
      // Show what the other officer did, and keep the conflict message on the rebuilt card.
      upsert(await api("/api/alarms/" + encodeURIComponent(id)));
      const rebuilt = board.cards.get(id);
      if (rebuilt) rebuilt.el.querySelector(".error").textContent = t("conflict") + ": " + e.message;
    }
  }
}

async function searchArchive() {
  const list = await api("/api/archive?" + new URLSearchParams({ q: $("archive-q").value.trim() }));
  $("archive").replaceChildren(...(list.length ? list.map((c) => card(c, true)) : [h("p", { text: t("none") })]));
}

function setView(view) {
  $("view-open").classList.toggle("on", view === "open");
  $("view-archive").classList.toggle("on", view === "archive");
  $("open-pane").hidden = view !== "open";
  $("archive-pane").hidden = view !== "archive";
  if (view === "archive") searchArchive().catch((e) => ($("archive").textContent = e.message));
}

/** Loads the open cases; on a reload (the live feed reconnected), a fire not seen before still alerts. */
async function loadBoard(reload) {
  const list = await api("/api/alarms");
  const open = new Set(list.map((c) => c.caseId));
  // A case shown open but missing from the list was closed while the feed was away: fetch its last state.
  for (const [id, c] of board.cases) if (!open.has(id) && c.step !== "closed") api("/api/alarms/" + encodeURIComponent(id)).then(upsert, () => undefined);
  for (const c of list) {
    const had = board.cases.get(c.caseId);
    if (had && had.revision > c.revision) continue;
    board.cases.set(c.caseId, c);
    if (c.level === "fire" && !c.isTest && !board.fireSeen.has(c.caseId)) { board.fireSeen.add(c.caseId); if (reload) alertFire(c); }
  }
  const staff = await api("/api/staff");
  $("staff-list").replaceChildren(...staff.staff.map((s) => h("option", { value: s.name, text: s.displayName + (s.team ? " · " + s.team : "") })));
  renderBoard();
}

$("board").addEventListener("click", (e) => { if (e.target.classList.contains("act") || e.target.classList.contains("reset")) act(e.target); });
for (const id of ["f-mine", "f-level", "f-compound", "f-overdue"]) $(id).addEventListener("change", renderBoard);
$("view-open").addEventListener("click", () => setView("open"));
$("view-archive").addEventListener("click", () => setView("archive"));
$("archive-search").addEventListener("click", () => searchArchive().catch((e) => ($("archive").textContent = e.message)));
$("archive-q").addEventListener("keydown", (e) => { if (e.key === "Enter") $("archive-search").click(); });
$("fire-banner").addEventListener("click", () => ($("fire-banner").hidden = true));
`;
