// The OPC UA driver (node-opcua-client): one session with one subscription per source. Loaded only
// through the registry, and node-opcua itself only in start(), so a gateway without OPC UA sources
// never loads it.
import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import type { Driver, DriverContext, DriverFactory } from '../driver.js';
import { createCertificateManager, loadOpcuaLibrary } from './library.js';
import { OpcuaSourceSession } from './source-session.js';

export class OpcuaDriver implements Driver {
  private readonly sessions: OpcuaSourceSession[] = [];
  private certificates: OPCUACertificateManager | undefined;
  constructor(private readonly context: DriverContext) {}

  init(): void {
    for (const source of this.context.sources) {
      const id = source.config.id;
      // The block exists and its nodes name points of the profile: checked at load (./plugin.ts).
      const nodes = source.config.opcua?.nodes ?? {};
      const pointIds = new Set(source.resolved.points.map((p) => p.id));
      const unmapped = [...pointIds].filter((pointId) => nodes[pointId] === undefined);
      if (unmapped.length > 0) throw new Error(`source ${id}: profile ${source.profile.id} points ${unmapped.join(', ')} need a NodeId under opcua.nodes`);
    }
  }

  async start(): Promise<void> {
    // Security and certificates: the site config's validated `drivers.opcua` block (./options.ts).
    const options = this.context.site.drivers.opcua;
    const lib = await loadOpcuaLibrary();
    this.certificates = await createCertificateManager(options);
    for (const source of this.context.sources) {
      const session = new OpcuaSourceSession(this.context, source, lib, this.certificates, options);
      this.sessions.push(session);
      session.start();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.sessions.splice(0).map((session) => session.stop()));
    await this.certificates?.dispose();
    this.certificates = undefined;
  }
}

export const createOpcuaDriver: DriverFactory = (context) => new OpcuaDriver(context);
