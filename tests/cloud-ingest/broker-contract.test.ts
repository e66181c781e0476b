// The township broker contract (tests/contract-suites/township-broker.ts) against both adapters: the
// embedded aedes broker, and one worker of the external cluster client behind a real mosquitto 2.0 with
// the password and ACL lines `lastmile-ingest provision` prints.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mosquittoPasswordHash } from '../../cloud-ingest/registry/password.js';
import { mosquittoIngestAcl } from '../../cloud-ingest/registry/provision.js';
import { startMosquitto, tempDir } from '../helpers/peers.js';
import { townshipBrokerContract } from '../contract-suites/township-broker.js';
import { provision, startService, testConfig } from './fixture.js';

townshipBrokerContract('embedded broker', async () => {
  const config = testConfig({});
  const a = provision(config.dataDir, 'gw-ca', 'town-c', 'compound-a');
  const b = provision(config.dataDir, 'gw-cb', 'town-c', 'compound-b');
  const service = await startService(config);
  return { service, port: service.brokerPort, gateways: { a: { id: 'gw-ca', password: a.password }, b: { id: 'gw-cb', password: b.password } }, stop: () => service.stop() };
});

townshipBrokerContract('external broker (mosquitto share group)', async () => {
  const dir = tempDir('broker-contract');
  const a = provision(dir.path, 'gw-ca', 'town-c', 'compound-a');
  const b = provision(dir.path, 'gw-cb', 'town-c', 'compound-b');
  writeFileSync(join(dir.path, 'ingest.password'), 'ingest-secret\n');
  writeFileSync(join(dir.path, 'passwd'), `${a.mosquittoPasswordLine}\n${b.mosquittoPasswordLine}\ningest:${mosquittoPasswordHash('ingest-secret')}\n`);
  writeFileSync(join(dir.path, 'acl'), `${a.mosquittoAcl}\n${b.mosquittoAcl}\n${mosquittoIngestAcl('ingest')}`);
  // mosquitto, started as root, drops to its own user before reading these files (test-only permissions).
  chmodSync(dir.path, 0o755);
  for (const f of ['passwd', 'acl']) chmodSync(join(dir.path, f), 0o644);
  const broker = await startMosquitto({ extraConfig: [`password_file ${join(dir.path, 'passwd')}`, `acl_file ${join(dir.path, 'acl')}`, 'allow_anonymous false'] });
  const service = await startService(testConfig({
    registryFile: join(dir.path, 'gateways.json'),
    broker: { type: 'external', url: `mqtt://127.0.0.1:${broker.port}`, username: 'ingest', passwordFile: join(dir.path, 'ingest.password'), shareGroup: 'ingest' },
  }));
  return {
    service, port: broker.port, gateways: { a: { id: 'gw-ca', password: a.password }, b: { id: 'gw-cb', password: b.password } },
    stop: async () => {
      await service.stop();
      await broker.stop();
      dir.remove();
    },
  };
});
