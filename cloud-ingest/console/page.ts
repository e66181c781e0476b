// The console page: one static HTML document with vanilla JS (no build step, no CDN: townships run
// it on closed networks). zh-CN first; the 中/EN button switches to English. Charts are inline SVG.
import { PAGE_SCRIPT } from './page-script.js';

const STYLE = `
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;background:#f4f5f7;color:#1d2329}
header{background:#1f3a5f;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:center}
header h1{font-size:18px;margin:0;flex:1}
header button{background:#fff;border:0;border-radius:4px;padding:4px 10px;cursor:pointer}
main{display:grid;grid-template-columns:2fr 1fr;gap:12px;padding:12px}
section{background:#fff;border-radius:6px;padding:10px;box-shadow:0 1px 2px #0002}
h2{font-size:16px;margin:0 0 8px}
.case{border-left:6px solid #999;padding:6px 8px;margin:6px 0;background:#fafafa}
.case.fire{border-color:#d32f2f;background:#fdecea}.case.alarm{border-color:#f57c00}.case.fault{border-color:#fbc02d}
.case.warning{border-color:#1976d2}.case.closed{opacity:.55}
.case .title{font-weight:bold}.case .meta{font-size:12px;color:#555}
.case input{width:140px;margin-right:4px}.case button{margin-right:4px}
.steps{font-size:12px;color:#333;margin:4px 0 0 0;padding-left:16px}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{border-bottom:1px solid #eee;padding:3px;text-align:left}
.on{color:#2e7d32}.off{color:#c62828;font-weight:bold}
#login{max-width:320px;margin:80px auto;background:#fff;padding:20px;border-radius:6px;box-shadow:0 1px 3px #0003}
#login input{display:block;width:100%;margin:6px 0 12px;padding:6px;box-sizing:border-box}
.warn{background:#fff3cd;padding:6px 10px;border-radius:4px;margin:0 12px}
#series li{cursor:pointer;color:#1f3a5f}#error{color:#c62828}
`;

export const CONSOLE_PAGE = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>街道综治中心 · 警情看板</title><style>${STYLE}</style></head>
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
  <p id="no-history" class="warn" hidden data-t="noHistory">未配置时序数据库：只在内存中保留最近数据，历史数据不会保存。</p>
  <main>
    <section><h2 data-t="board">警情</h2><div id="board"></div></section>
    <div>
      <section><h2 data-t="gateways">网关与传感器</h2><table id="gateways"></table></section>
      <section><h2 data-t="series">最近数据</h2><ul id="series"></ul><div id="chart"></div></section>
    </div>
  </main>
</div>
<script>${PAGE_SCRIPT}</script>
</body></html>`;
