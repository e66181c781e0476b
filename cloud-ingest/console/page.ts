// The console page: a static HTML document, its stylesheet and its script, each served from the
// console's own origin (no build step, no CDN: townships run it on closed networks; no inline script or
// style, so the CSP can forbid both). zh-CN first; the 中/EN button switches to English.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PAGE_SCRIPT } from './page-script.js';

/** uPlot (npm, MIT) served by the console itself: the chart library of the history view. */
const requireAsset = createRequire(import.meta.url);
export const UPLOT = {
  script: readFileSync(requireAsset.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
  style: readFileSync(requireAsset.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
};

export const CONSOLE_STYLE = `
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;background:#f4f5f7;color:#1d2329}
header{background:#1f3a5f;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:center}
header h1{font-size:18px;margin:0;flex:1}
header button{background:#fff;border:0;border-radius:4px;padding:4px 10px;cursor:pointer}
main{display:grid;grid-template-columns:2fr 1fr;gap:12px;padding:12px}
section{background:#fff;border-radius:6px;padding:10px;box-shadow:0 1px 2px #0002}
h2{font-size:16px;margin:0 0 8px}
.toolbar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-bottom:6px;font-size:13px}
.toolbar button.on{background:#1f3a5f;color:#fff}
#fire-banner{background:#d32f2f;color:#fff;font-weight:bold;padding:8px 12px;margin:0 12px;border-radius:4px;cursor:pointer}
.case{border-left:6px solid #999;padding:6px 8px;margin:6px 0;background:#fafafa}
.case.fire{border-color:#d32f2f;background:#fdecea}.case.alarm{border-color:#f57c00}.case.fault{border-color:#fbc02d}
.case.warning{border-color:#1976d2}.case.closed{opacity:.7}.case.late{outline:2px solid #d32f2f}
.case .title{font-weight:bold}.case .meta{font-size:12px;color:#555}
.gw-state,.overdue,.test-badge{font-size:11px;border-radius:3px;padding:1px 5px;margin-left:4px;font-weight:normal}
.gw-state.alarming{background:#d32f2f;color:#fff}.gw-state.reset{background:#607d8b;color:#fff}.gw-state.recovered{background:#2e7d32;color:#fff}
.overdue{background:#b71c1c;color:#fff;font-weight:bold}.test-badge{background:#ddd}
.case input{width:160px;margin-right:4px}.case button,.case select{margin-right:4px}.action{display:inline-block;margin:4px 8px 0 0}
.case .error{color:#c62828;font-size:12px}
.steps{font-size:12px;color:#333;margin:4px 0 0 0;padding-left:16px}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{border-bottom:1px solid #eee;padding:3px;text-align:left}
.on{color:#2e7d32}.off{color:#c62828;font-weight:bold}
#login{max-width:320px;margin:80px auto;background:#fff;padding:20px;border-radius:6px;box-shadow:0 1px 3px #0003}
#login input{display:block;width:100%;margin:6px 0 12px;padding:6px;box-sizing:border-box}
.warn{background:#fff3cd;padding:6px 10px;border-radius:4px;margin:0 12px}
#series li{cursor:pointer;color:#1f3a5f}#error{color:#c62828}
#lost-banner{background:#b71c1c;color:#fff;font-weight:bold;padding:8px 12px;margin:0;position:sticky;top:0;z-index:10}
.wide{overflow-x:auto;max-width:100%}#chart{max-width:100%;overflow:hidden}.chart-title{font-weight:bold;margin:6px 0}
.ranges button{background:#eee;border:0;border-radius:4px;padding:3px 10px}.ranges button.on{background:#1f3a5f;color:#fff}
.name[title]{text-decoration:underline dotted #999}h3{font-size:14px;margin:8px 0 4px}.risk{border-radius:3px;padding:1px 6px;font-size:12px;color:#fff}.risk.red{background:#d32f2f}.risk.orange{background:#f57c00}.risk.yellow{background:#fbc02d;color:#222}.risk.green{background:#2e7d32}.stats-summary{font-size:13px}.unit{color:#555;font-size:12px}
main>*{min-width:0}
@media (max-width:700px){main{grid-template-columns:1fr;padding:6px}header{flex-wrap:wrap;gap:6px;padding:6px 10px}
 header h1{flex:1 1 100%;font-size:16px}.case input{width:100%;box-sizing:border-box;margin:2px 0}.action{display:block}
 td,th{padding:2px;font-size:12px}}
`;

export const CONSOLE_SCRIPT = PAGE_SCRIPT;

export const CONSOLE_PAGE = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>街道综治中心 · 警情看板</title><link rel="stylesheet" href="/console.css"></head>
<body>
<div id="login" hidden>
  <h2 data-t="login">登录</h2>
  <label><span data-t="user">用户名</span><input id="user" autocomplete="username"></label>
  <label><span data-t="password">密码</span><input id="password" type="password" autocomplete="current-password"></label>
  <button id="login-button" data-t="login">登录</button> <span id="error"></span>
</div>
<div id="app" hidden>
  <header><h1 data-t="title">街道综治中心 · 警情看板</h1><span id="who"></span>
    <button id="lang">EN</button><button id="logout" data-t="logout">退出</button></header>
  <p id="lost-banner" hidden data-t="lost">与服务器失去连接：看板上的状态可能已过时，正在重连…</p>
  <p id="fire-banner" hidden></p>
  <p id="no-history" class="warn" hidden data-t="noHistory">未配置时序数据库：只在内存中保留最近数据，历史数据不会保存。</p>
  <main>
    <section><h2 data-t="board">警情</h2>
      <div class="toolbar"><button id="view-open" class="on" data-t="viewOpen">待办</button><button id="view-archive" data-t="viewArchive">归档</button></div>
      <div id="open-pane">
        <div class="toolbar">
          <label><input type="checkbox" id="f-mine"> <span data-t="mine">我的</span></label>
          <select id="f-level"><option value="" data-t="allLevels">全部级别</option><option value="fire" data-t="fire">火警</option><option value="alarm" data-t="alarm">报警</option><option value="fault" data-t="fault">故障</option><option value="warning" data-t="warning">预警</option><option value="offline" data-t="offline">离线</option></select>
          <select id="f-compound"><option value="" data-t="allCompounds">全部小区</option></select>
          <label><input type="checkbox" id="f-overdue"> <span data-t="overdueOnly">只看超时</span></label>
        </div>
        <div id="board"></div><p id="board-empty" data-t="none">暂无警情</p><p id="board-more" class="warn" hidden></p>
      </div>
      <div id="archive-pane" hidden>
        <div class="toolbar"><input id="archive-q" data-tp="search"><button id="archive-search" data-t="search">搜索</button></div>
        <div id="archive"></div>
      </div>
      <datalist id="staff-list"></datalist>
    </section>
    <div>
      <section><h2 data-t="gateways">网关与传感器</h2><div class="wide"><table id="gateways"></table></div></section>
      <section><h2 data-t="stats">统计（近30天）</h2><div id="stats"></div></section>
      <section><h2 data-t="series">最近数据</h2><ul id="series"></ul><div id="chart"></div></section>
    </div>
  </main>
</div>
<script src="/console.js" defer></script>
</body></html>`;
