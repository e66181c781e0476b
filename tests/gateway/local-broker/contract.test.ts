// The LocalBroker contract (tests/contract-suites/local-broker.ts) against both kinds: the embedded aedes
// broker and an external mosquitto 2.0 with a password file and an ACL, each inside a real gateway runtime.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localBrokerContract } from '../../contract-suites/local-broker.js';
import { freePort, requireBinary, startMosquitto, tempDir } from '../../helpers/peers.js';
import { startGateway } from './harness.js';

const PROFILES = fileURLToPath(new URL('../drivers/mqtt/profiles/', import.meta.url));

function site(dir: string, localBroker: string): string {
  return `version: 1
gateway: { township: t1, compound: c1, id: gw-contract, profilesDir: ${PROFILES} }
sources:
  - id: th-1
    profile: testlab/wifi-th
    mqtt: { topic: lastmile/dev/th-1/state }
    tags: { building: "5" }
spool: { dir: ${join(dir, 'spool')} }
localBroker:
${localBroker}
`;
}

localBrokerContract('embedded (aedes)', async () => {
  const dir = tempDir('local-broker-contract');
  const port = await freePort();
  const gateway = await startGateway(dir.path, site(dir.path, `  host: 127.0.0.1\n  port: ${port}\n  users: []`));
  return {
    broker: gateway.runtime.context.services.get('localBroker')!,
    kind: 'embedded',
    secrets: [],
    stop: async () => {
      await gateway.stop();
      dir.remove();
    },
  };
});

localBrokerContract('external (mosquitto)', async () => {
  const dir = tempDir('local-broker-contract-ext');
  const passwordFile = join(dir.path, 'passwd');
  execFileSync(requireBinary('/usr/bin/mosquitto_passwd'), ['-c', '-b', passwordFile, 'gateway', 'gateway-contract-secret']);
  const aclFile = join(dir.path, 'acl');
  writeFileSync(aclFile, ['user gateway', 'topic readwrite lastmile/#', ''].join('\n'));
  // Started as root, mosquitto drops to user "mosquitto", which cannot read our 0700 temp dir; stay as ourselves.
  const mosquitto = await startMosquitto({ extraConfig: [`user ${userInfo().username}`, `password_file ${passwordFile}`, `acl_file ${aclFile}`, 'allow_anonymous false'], dir: dir.path });
  const secret = join(dir.path, 'gateway.secret');
  writeFileSync(secret, 'gateway-contract-secret\n', { mode: 0o600 });
  const gateway = await startGateway(dir.path, site(dir.path, `  external: { url: "mqtt://127.0.0.1:${mosquitto.port}", username: gateway, passwordFile: ${secret} }`));
  return {
    broker: gateway.runtime.context.services.get('localBroker')!,
    kind: 'external',
    secrets: ['gateway-contract-secret'],
    stop: async () => {
      await gateway.stop();
      await mosquitto.stop();
      dir.remove();
    },
  };
});
