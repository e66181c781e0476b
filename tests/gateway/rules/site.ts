// A small site (level sensor + smoke detector on one TCP bus) for rule-stage and alarm tests, parsed
// with the real loader, and a clock the test moves by hand.
import { parseSiteConfig } from '../../../config/load-site.js';
import { resolveSources } from '../../../gateway/runtime.js';
import type { Clock } from '../../../gateway/pipeline/types.js';

export const SITE_YAML = `
version: 1
gateway: { township: tw, compound: c1, id: gw-1 }
buses:
  - { id: b1, type: tcp, host: 127.0.0.1, port: 5020 }
sources:
  - id: level-1
    profile: generic/qdy30a
    bus: b1
    unit: 1
    poll: 1s
    tags: { building: "3", unit: "2", room: 地下车库 }
    rules:
      water_alarm: { above: 40, for: 0s }
  - id: smoke-1
    profile: calectro/uniguard-ug3-mb
    bus: b1
    unit: 2
    poll: 1s
    tags: { building: "3", unit: "1", floor: "1" }
    extraRules:
      - { id: smoke_and_water, kind: combination, all: [smoke, level-1/water_alarm], within: 1m, level: fire }
`;

export function loadTestSite(yaml = SITE_YAML) {
  const loaded = parseSiteConfig('test-site.yaml', yaml);
  return { loaded, sources: resolveSources(loaded) };
}

export class ManualClock implements Clock {
  constructor(
    public wall = Date.parse('2026-11-23T12:00:00+08:00'),
    public monoMs = 1000,
    public isSynced = true,
  ) {}
  now(): number {
    return this.wall;
  }
  mono(): number {
    return this.monoMs;
  }
  synced(): boolean {
    return this.isSynced;
  }
  advance(ms: number): void {
    this.monoMs += ms;
    this.wall += ms;
  }
}
