// Browser code of the history chart: one sensor field over 1 h / 24 h / 7 d / 30 d from /api/history,
// drawn with uPlot (served by the console at /uplot.js, loaded on first use): a time axis, the unit on
// the value axis, nulls drawn as gaps, the rule thresholds as dashed lines and the alarm moments as
// vertical marks. From the memory window (no database) the chart says so. Plain ES2020 in a string.
export const PAGE_CHART = String.raw`
const LEVEL_COLOUR = { fire: "#d32f2f", alarm: "#f57c00", fault: "#fbc02d", warning: "#1976d2", offline: "#607d8b" };
const chartState = { key: undefined, range: "24h", plot: undefined, uplot: undefined };

function loadUplot() {
  if (chartState.uplot) return chartState.uplot;
  chartState.uplot = new Promise((resolve, reject) => {
    document.head.append(h("link", { rel: "stylesheet", href: "/uplot.css" }));
    const script = h("script", { src: "/uplot.js" });
    script.addEventListener("load", () => resolve(window.uPlot));
    script.addEventListener("error", () => { chartState.uplot = undefined; reject(new Error("uplot.js")); });
    document.head.append(script);
  });
  return chartState.uplot;
}

function withUnit(value, unit) { return value === null || value === undefined ? "–" : String(Math.round(value * 100) / 100) + (unit ? " " + unit : ""); }

/** Draws thresholds and alarm marks over the plot (a uPlot draw hook; canvas pixels). */
function overlay(data) {
  return (u) => {
    const ctx = u.ctx, box = u.bbox;
    ctx.save();
    ctx.lineWidth = 2 * devicePixelRatio;
    for (const th of data.thresholds) {
      const y = u.valToPos(th.value, "y", true);
      ctx.strokeStyle = LEVEL_COLOUR[th.level] || "#d32f2f"; ctx.setLineDash([8, 6]);
      ctx.beginPath(); ctx.moveTo(box.left, y); ctx.lineTo(box.left + box.width, y); ctx.stroke();
      ctx.fillStyle = ctx.strokeStyle; ctx.font = (11 * devicePixelRatio) + "px sans-serif";
      ctx.fillText((th.label || "") + " " + withUnit(th.value, data.unit), box.left + 4, y - 4);
    }
    ctx.setLineDash([]);
    for (const m of data.marks) {
      const x = u.valToPos(m.ts / 1000, "x", true);
      if (x < box.left || x > box.left + box.width) continue;
      ctx.strokeStyle = LEVEL_COLOUR[m.level] || "#d32f2f";
      ctx.beginPath(); ctx.moveTo(x, box.top); ctx.lineTo(x, box.top + box.height); ctx.stroke();
    }
    ctx.restore();
  };
}

async function showHistory(key, range) {
  chartState.key = key; chartState.range = range;
  const q = new URLSearchParams({ gateway: key.gateway, source: key.source, measurement: key.measurement, field: key.field, range });
  const [data, uPlot] = await Promise.all([api("/api/history?" + q), loadUplot()]);
  if (chartState.key !== key || chartState.range !== range) return;
  const root = $("chart");
  const name = key.label + (data.unit ? " (" + data.unit + ")" : "");
  const ranges = h("div", { class: "toolbar ranges" }, ["1h", "24h", "7d", "30d"].map((r) => h("button", { class: r === range ? "on" : "", "data-range": r, text: r, disabled: data.from === "memory" })));
  const note = data.from === "memory" ? h("p", { class: "warn chart-note", text: t("memoryChart") }) : undefined;
  const plotBox = h("div", { class: "plot" });
  root.replaceChildren(...[h("div", { class: "chart-title", text: name }), ranges, note, plotBox].filter(Boolean));
  root.dataset.from = data.from; root.dataset.points = String(data.values.filter((v) => v !== null).length);
  root.dataset.gaps = String(data.values.filter((v) => v === null).length); root.dataset.thresholds = String(data.thresholds.length); root.dataset.marks = String(data.marks.length);
  if (chartState.plot) chartState.plot.destroy();
  const ths = data.thresholds.map((x) => x.value);
  const width = Math.max(240, Math.min(root.clientWidth || 360, 900));
  chartState.plot = new uPlot({
    width, height: 220,
    scales: { x: { time: true }, y: { range: (u, min, max) => { const lo = Math.min(min, ...ths), hi = Math.max(max, ...ths); const pad = (hi - lo) * 0.08 || 1; return [lo - pad, hi + pad]; } } },
    axes: [{}, { label: data.unit || "", size: 56 }],
    legend: { show: true },
    series: [{ value: (u, v) => (v === null ? "–" : new Date(v * 1000).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { hour12: false })) },
      { label: key.fieldLabel, stroke: "#1f3a5f", width: 1.5, spanGaps: false, value: (u, v) => withUnit(v, data.unit) }],
    hooks: { draw: [overlay(data)] },
  }, [data.ts.map((x) => x / 1000), data.values], plotBox);
}

$("chart").addEventListener("click", (e) => {
  const r = e.target.dataset && e.target.dataset.range;
  if (r && chartState.key) showHistory(chartState.key, r).catch((err) => ($("chart").textContent = err.message));
});
`;
