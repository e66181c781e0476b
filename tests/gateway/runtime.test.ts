// The composition root's start (issue 12): a part that fails or never answers fails the start, with the
// part named, and whatever had started is stopped again, source-first, so a failed start leaves no port
// open, no timer running and no half-wired stage behind.
import { describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/load-site.js';
import { silentLogger } from '../../contract/logger.js';
import { Stats } from '../../contract/stats.js';
import type { Stage, StageFactory } from '../../gateway/pipeline/stage.js';
import { GatewayRuntime } from '../../gateway/runtime.js';
import { tempDir } from '../helpers/peers.js';

function site(dir: string) {
  return parseSiteConfig('site.yaml', `version: 1\ngateway: { township: tw, compound: c1, id: gw-start }\nbuses: [{ id: b1, type: tcp, host: 127.0.0.1, port: 1 }]\nsources: [{ id: smoke-1, profile: calectro/uniguard-ug3-mb, bus: b1, unit: 1, enabled: false, tags: { building: "1" } }]\nspool: { dir: ${dir} }\n`);
}

/** A stage that records its start and stop in `log`; `start` decides how its start goes. */
function probe(name: string, log: string[], start: () => Promise<void> | void = () => undefined): StageFactory {
  return (context) => {
    const stage: Stage = {
      name,
      start: async () => {
        log.push(`start ${name}`);
        await start();
        context.services.provide('uplinkStatus', () => ({ connected: true, url: name }));
      },
      stop: () => {
        log.push(`stop ${name}`);
      },
    };
    return stage;
  };
}

describe('gateway runtime start', () => {
  it('a stage that throws fails the start with its name, and the stages before it are stopped in reverse', async () => {
    const dir = tempDir('runtime-start');
    try {
      const log: string[] = [];
      const stats = new Stats();
      const runtime = new GatewayRuntime(site(dir.path), {
        log: silentLogger(), stats,
        extraStages: [probe('first', log), probe('second', log), probe('broken', log, () => Promise.reject(new Error('port 1883 in use'))), probe('never', log)],
      });
      await expect(runtime.start()).rejects.toThrow(/stage broken failed to start: port 1883 in use/);
      expect(log).toEqual(['start first', 'start second', 'start broken', 'stop broken', 'stop second', 'stop first']);
      expect(stats.counter('runtime.start_failed')).toBe(1);
      // The built-in spool stage had started too (its service offered) and was stopped (withdrawn).
      expect(runtime.context.services.get('spool')).toBeUndefined();
    } finally {
      dir.remove();
    }
  });

  it('a stage that never answers fails the start after the start timeout, and is stopped with the rest', async () => {
    const dir = tempDir('runtime-hang');
    try {
      const log: string[] = [];
      const runtime = new GatewayRuntime(site(dir.path), {
        log: silentLogger(), startTimeoutMs: 200,
        extraStages: [probe('first', log), probe('hung', log, () => new Promise<void>(() => undefined))],
      });
      await expect(runtime.start()).rejects.toThrow(/stage hung did not start within 200 ms/);
      expect(log).toEqual(['start first', 'start hung', 'stop hung', 'stop first']);
      // A failed start can be followed by a stop (systemd's ExecStop) without error.
      await runtime.stop();
    } finally {
      dir.remove();
    }
  });

  it('a clean start offers the services and a stop withdraws them', async () => {
    const dir = tempDir('runtime-clean');
    try {
      const log: string[] = [];
      const runtime = new GatewayRuntime(site(dir.path), { log: silentLogger(), extraStages: [probe('only', log)] });
      await runtime.start();
      expect(runtime.context.services.get('spool')).toBeDefined();
      expect(runtime.context.services.get('alarmEngine')).toBeDefined();
      await runtime.stop();
      expect(runtime.context.services.get('spool')).toBeUndefined();
      expect(runtime.context.services.get('alarmEngine')).toBeUndefined();
      expect(log).toEqual(['start only', 'stop only']);
    } finally {
      dir.remove();
    }
  });
});
