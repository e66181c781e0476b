// A throwaway PKI made with openssl for TLS tests on 127.0.0.1: a CA, a server certificate for
// 127.0.0.1/localhost and a client certificate, keys mode 0600 as the listeners require.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary } from './peers.js';

export interface TestPki {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** The CA certificate, for clients that trust it. */
  readonly ca: Buffer;
}

export function makeTestPki(dir: string): TestPki {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync(requireBinary('/usr/bin/openssl'), args, { cwd: dir, stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=lastmile-test-ca');
  for (const [name, cn, ext] of [['server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], ['client', 'device-1', 'extendedKeyUsage=clientAuth']] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    writeFileSync(file(`${name}.ext`), `${ext}\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
    chmodSync(file(`${name}.key`), 0o600);
  }
  return { caFile: file('ca.pem'), certFile: file('server.pem'), keyFile: file('server.key'), clientCertFile: file('client.pem'), clientKeyFile: file('client.key'), ca: readFileSync(file('ca.pem')) };
}
