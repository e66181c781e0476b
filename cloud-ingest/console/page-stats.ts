// Browser code of the statistics panel (/api/stats, last 30 days; /api/risk): the township's figures, a
// row per compound (risk colour with its reasons on hover, cases, closure rate, time to close, overdue, false-alarm rate, flagged), the devices that cry
// wolf and the repeat hazards. Plain ES2020 in a string; DOM from data only.
export const PAGE_STATS = String.raw`
const pct = (x) => (x === undefined || x === null ? "–" : Math.round(x * 1000) / 10 + "%");
const mins = (d) => (d.median === undefined ? "–" : dur(d.median) + " / " + dur(d.p90));

async function renderStats() {
  const [s, risk] = await Promise.all([api("/api/stats?days=30"), api("/api/risk")]);
  const riskOf = new Map(risk.map((r) => [r.compound, r]));
  const compoundRate = new Map(s.falseAlarmsByCompound.map((r) => [r.compound, r]));
  const summary = h("p", { class: "stats-summary" },
    t("cases") + " " + s.cases + " · " + t("closureRate") + " " + pct(s.closureRate) + " · " + t("overdue") + " " + s.overdue + " · ",
    t("toConfirm") + " " + mins(s.toConfirm) + " · " + t("toDispatch") + " " + mins(s.toDispatch) + " · " + t("toClose") + " " + mins(s.toClose));
  const head = h("tr", {}, [t("risk"), t("compound"), t("cases"), t("closureRate"), t("toClose"), t("overdue"), t("falseRate")].map((x) => h("th", { text: x })));
  const empty = { cases: 0, closureRate: undefined, toClose: {}, overdue: 0, overdueOpen: 0 };
  const compounds = [...new Set([...risk.map((r) => r.compound), ...Object.keys(s.compounds)])];
  const rows = compounds.map((compound) => {
    const c = s.compounds[compound] || empty;
    const r = compoundRate.get(compound);
    const k = riskOf.get(compound);
    const chip = h("span", { class: "risk " + (k ? k.colour : "green"), title: k ? k.reasons.join(", ") : "", text: t("risk_" + (k ? k.colour : "green")) });
    return h("tr", { "data-compound": compound, "data-risk": k ? k.colour : "green" }, h("td", {}, chip), h("td", {}, named("compounds", compound)), h("td", { text: c.cases }), h("td", { text: pct(c.closureRate) }),
      h("td", { text: mins(c.toClose) }), h("td", { class: c.overdueOpen ? "off" : "", text: c.overdue }), h("td", { class: r && r.flagged ? "off" : "", text: r ? pct(r.rate) + (r.flagged ? " ⚠" : "") : "–" }));
  });
  const wolves = s.falseAlarmsByDevice.filter((d) => d.flagged).map((d) => h("li", { class: "flagged" }, named("compounds", d.compound), " · ", named("sources", d.source, d.gateway), " · " + t("falseRate") + " " + pct(d.rate) + " (" + d.falseAlarms + "/" + d.closed + ")"));
  const repeats = s.repeatHazards.map((r) => h("li", { class: "repeat" }, named("compounds", r.compound), " · ", named("sources", r.source, r.gateway), " · " + r.rule + " · " + r.cases + t("times") + " / 7d"));
  const csv = h("a", { href: "/api/stats.csv?days=30", download: "", text: t("csv") });
  $("stats").replaceChildren(summary, csv, h("div", { class: "wide" }, h("table", {}, head, ...rows)),
    h("h3", { text: t("flaggedDevices") }), wolves.length ? h("ul", {}, wolves) : h("p", { text: "–" }),
    h("h3", { text: t("repeatHazards") }), repeats.length ? h("ul", {}, repeats) : h("p", { text: "–" }));
}
`;
