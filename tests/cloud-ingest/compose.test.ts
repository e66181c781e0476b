// deploy/docker-compose.yml (no docker on the test box): the file parses, names the four services, and
// the cloud-ingest config it mounts passes the real schema, with the secrets, the broker and database
// hosts and the /readyz port the compose file uses.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCloudIngestConfig } from '../../cloud-ingest/config.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));

interface Compose {
  services: Record<string, { healthcheck?: { test: string[] }; secrets?: string[]; volumes?: string[]; image?: string }>;
  secrets: Record<string, { file: string }>;
}

describe('deploy/docker-compose.yml', () => {
  const compose = parse(readFileSync(`${DEPLOY}docker-compose.yml`, 'utf8')) as Compose;
  const config = parseCloudIngestConfig('deploy/compose/cloud-ingest.yaml', readFileSync(`${DEPLOY}compose/cloud-ingest.yaml`, 'utf8'));

  it('runs cloud-ingest, mosquitto, VictoriaMetrics and PostgreSQL', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['cloud-ingest', 'mosquitto', 'postgres', 'victoriametrics']);
    expect(compose.services['cloud-ingest']!.volumes).toContain('./compose/cloud-ingest.yaml:/etc/lastmile-ingest/cloud-ingest.yaml:ro');
  });

  it('its cloud-ingest config points at the compose services and the mounted secrets', () => {
    expect(config.broker).toMatchObject({ type: 'external', url: 'mqtt://mosquitto:1883', passwordFile: '/run/secrets/ingest.password' });
    expect(config.influx?.url).toBe('http://victoriametrics:8428');
    expect(config.database).toMatchObject({ url: 'postgres://lastmile@postgres:5432/lastmile', passwordFile: '/run/secrets/db.password' });
    for (const secret of compose.services['cloud-ingest']!.secrets ?? []) expect(compose.secrets[secret]).toBeDefined();
    expect(compose.services['cloud-ingest']!.secrets).toEqual(['db.password', 'ingest.password']);
  });

  it('the healthcheck waits for /readyz on the port the config serves metrics on', () => {
    const test = compose.services['cloud-ingest']!.healthcheck!.test;
    expect(test).toContain(`http://127.0.0.1:${config.metrics!.port}/readyz`);
    expect(test).toContain('/opt/lastmile/deploy/wait-ready.mjs');
  });
});
