// The only place that loads node-opcua, and only when an OPC UA source is configured: the client costs
// about 40 MB of RSS on a Pi, so a Modbus-only gateway must never pay for it (tests check this).
// node-opcua is CommonJS whose re-exports Node's ESM loader cannot all name, so the default export
// (module.exports) is used.
import { mkdirSync } from 'node:fs';
import type * as OpcuaClientModule from 'node-opcua-client';
import type * as CertificateManagerModule from 'node-opcua-certificate-manager';
import type { OpcuaDriverOptions } from './options.js';

export type OpcuaLibrary = typeof OpcuaClientModule;

function moduleExports<T>(namespace: T): T {
  return (namespace as { default?: T }).default ?? namespace;
}

export async function loadOpcuaLibrary(): Promise<OpcuaLibrary> {
  return moduleExports(await import('node-opcua-client'));
}

/**
 * The certificate folder of the gateway (own/, trusted/, rejected/, issuers/). Made here rather than by
 * node-opcua's default, which would put it under $XDG_CONFIG_HOME of whoever runs the gateway.
 */
export async function createCertificateManager(options: OpcuaDriverOptions): Promise<CertificateManagerModule.OPCUACertificateManager> {
  const { OPCUACertificateManager } = moduleExports(await import('node-opcua-certificate-manager'));
  mkdirSync(options.pkiDir, { recursive: true, mode: 0o700 });
  const manager = new OPCUACertificateManager({
    rootFolder: options.pkiDir,
    automaticallyAcceptUnknownCertificate: options.acceptUnknownServerCertificates,
  });
  await manager.initialize();
  return manager;
}
