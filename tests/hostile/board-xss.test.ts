// Script payloads in every gateway-controlled field, then the township board in headless Chromium
// (issue 13 item 2): none may run. The payloads and the page visit are bench/hostile/xss.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countScriptsExecuted } from '../../bench/hostile/xss.js';
import { startHostileTownship, type HostileTownship } from '../../bench/hostile/township.js';
import { requireBinary } from '../helpers/peers.js';

describe('the board under script payloads', () => {
  let town: HostileTownship;
  beforeAll(async () => {
    requireBinary('/usr/bin/chromium');
    town = await startHostileTownship();
  });
  afterAll(async () => {
    await town?.stop();
  });

  it('runs none of them, from alarms, status or telemetry, and still shows the cases', async () => {
    const client = await town.connect('gw-hostile');
    const result = await countScriptsExecuted(town, client);
    expect(result.cards).toBeGreaterThan(0);
    expect(result.scriptsExecuted).toBe(0);
  }, 120_000);
});
