// log.level in the site and cloud-ingest configs, with LASTMILE_LOG_LEVEL as the override (issue 20: the
// level could be set only by that undocumented variable).
import { afterEach, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../../config/load-site.js';
import { cloudIngestConfig } from '../../../cloud-ingest/config.js';
import { createLogger } from '../../../contract/logger.js';

const SITE = `version: 1
gateway: { township: t, compound: c, id: gw }
buses: [{ id: b, type: tcp, host: 127.0.0.1, port: 1502 }]
sources: [{ id: m, profile: eastron/sdm120, bus: b, unit: 1, tags: { building: "1" } }]
`;

describe('log.level', () => {
  const saved = process.env.LASTMILE_LOG_LEVEL;
  afterEach(() => {
    if (saved === undefined) delete process.env.LASTMILE_LOG_LEVEL;
    else process.env.LASTMILE_LOG_LEVEL = saved;
  });

  it('defaults to info in both configs and takes a level from the file', () => {
    expect(parseSiteConfig('site.yaml', SITE).config.log.level).toBe('info');
    expect(parseSiteConfig('site.yaml', `${SITE}log: { level: debug }\n`).config.log.level).toBe('debug');
    expect(cloudIngestConfig.parse({ version: 1 }).log.level).toBe('info');
    expect(cloudIngestConfig.parse({ version: 1, log: { level: 'warn' } }).log.level).toBe('warn');
    expect(() => parseSiteConfig('site.yaml', `${SITE}log: { level: loud }\n`)).toThrow(/site\.yaml:5:\d+ log\.level: /);
  });

  it('the config level is used, and LASTMILE_LOG_LEVEL overrides it', () => {
    delete process.env.LASTMILE_LOG_LEVEL;
    expect(createLogger({ level: 'warn' }).level).toBe('warn');
    process.env.LASTMILE_LOG_LEVEL = 'debug';
    expect(createLogger({ level: 'warn' }).level).toBe('debug');
  });
});
