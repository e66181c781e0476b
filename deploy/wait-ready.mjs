/* global AbortSignal */
// Waits until a /readyz URL answers 200, for systemd's ExecStartPost (lastmile-ingest.service) and
// anything else that must not go on before the service is ready. Exits 1 after the timeout, naming the
// last answer.   node wait-ready.mjs http://127.0.0.1:9465/readyz [seconds=60]
const [url, seconds = '60'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node wait-ready.mjs <readyz-url> [seconds]');
  process.exit(2);
}
const deadline = Date.now() + Number(seconds) * 1000;
let last = 'no answer';
while (Date.now() < deadline) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (response.status === 200) process.exit(0);
    last = `HTTP ${response.status} ${await response.text()}`;
  } catch (error) {
    last = error.cause?.code ?? error.message;
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}
console.error(`${url} not ready after ${seconds} s: ${last} / 服务未就绪`);
process.exit(1);
