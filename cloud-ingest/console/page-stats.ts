// Browser code of the statistics panel (/api/stats, last 30 days): the township's figures, a row per
// compound (cases, closure rate, time to close, overdue, false-alarm rate, flagged), the devices that cry
// wolf and the repeat hazards. Plain ES2020 in a string; DOM from data only.
export const PAGE_STATS = String.raw`
const pct = (x) => (x === undefined || x === null ? "–" : Math.round(x * 1000) / 10 + "%");
const mins = (d) => (d.median === undefined ? "–" : dur(d.median) + " / " + dur(d.p90));

async function renderStats() {
  const s = await api("/api/stats?days=30");
  const compoundRate = new Map(s.falseAlarmsByCompound.map((r) => [r.compound, r]));
  const summary = h("p", { class: "stats-summary" },
    t("cases") + " " + s.cases + " · " + t("closureRate") + " " + pct(s.closureRate) + " · " + t("overdue") + " " + s.overdue + " · ",
    t("toConfirm") + " " + mins(s.toConfirm) + " · " + t("toDispatch") + " " + mins(s.toDispatch) + " · " + t("toClose") + " " + mins(s.toClose));
  const head = h("tr", {}, [t("compound"), t("cases"), t("closureRate"), t("toClose"), t("overdue"), t("falseRate")].map((x) => h("th", { text: x })));
  const rows = Object.entries(s.compounds).map(([compound, c]) => {
    const r = compoundRate.get(compound);
    return h("tr", { "data-compound": compound }, h("td", {}, named("compounds", compound)), h("td", { text: c.cases }), h("td", { text: pct(c.closureRate) }),
      h("td", { text: mins(c.toClose) }), h("td", { class: c.overdueOpen ? "off" : "", text: c.overdue }), h("td", { class: r && r.flagged ? "off" : "", text: r ? pct(r.rate) + (r.flagged ? " ⚠" : "") : "–" }));
  });
  const wolves = s.falseAlarmsByDevice.filter((d) => d.flagged).map((d) => h("li", { class: "flagged" }, named("compounds", d.compound), " · ", named("sources", d.source, d.gateway), " · " + t("falseRate") + " " + pct(d.rate) + " (" + d.falseAlarms + "/" + d.closed + ")"));
  const repeats = s.repeatHazards.map((r) => h("li", { class: "repeat" }, named("compounds", r.compound), " · ", named("sources", r.source, r.gateway), " · " + r.rule + " · " + r.cases + t("times") + " / 7d"));
  $("stats").replaceChildren(summary, h("div", { class: "wide" }, h("table", {}, head, ...rows)),
    h("h3", { text: t("flaggedDevices") }), wolves.length ? h("ul", {}, wolves) : h("p", { text: "–" }),
    h("h3", { text: t("repeatHazards") }), repeats.length ? h("ul", {}, repeats) : h("p", { text: "–" }));
}
`;
