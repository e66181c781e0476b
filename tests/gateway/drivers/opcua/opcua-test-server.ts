// A real node-opcua server in the test process (DESIGN.md: OPC UA peers run in-process), with a pump
// station's sump level (cm, Double) and a float switch (Boolean). It can be shut down and started again
// on the same port to test reconnection.
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import opcuaClient from 'node-opcua-client';
import opcuaServer from 'node-opcua-server';
import type { OPCUAServer } from 'node-opcua-server';

type UAVariable = ReturnType<ReturnType<NonNullable<OPCUAServer['engine']['addressSpace']>['getOwnNamespace']>['addVariable']>;

const { DataType, MessageSecurityMode, SecurityPolicy, StatusCodes, Variant } = opcuaClient;

export const LEVEL_NODE = 'ns=1;s=Sump.Level';
export const FLOAT_NODE = 'ns=1;s=Sump.HighFloat';

export class TestOpcuaServer {
  private server: OPCUAServer | undefined;
  private levelVariable: UAVariable | undefined;
  private floatVariable: UAVariable | undefined;

  constructor(
    readonly port: number,
    private readonly pkiDir: string,
  ) {}

  get endpoint(): string {
    return `opc.tcp://127.0.0.1:${this.port}/lastmile-test`;
  }

  /** `secureOnly` offers only SignAndEncrypt with Basic256Sha256 (the server trusts any client certificate). */
  async start(initialLevelCm: number, options: { secureOnly?: boolean } = {}): Promise<void> {
    const serverCertificateManager = new OPCUACertificateManager({ rootFolder: this.pkiDir, automaticallyAcceptUnknownCertificate: true });
    const security = options.secureOnly ? { securityModes: [MessageSecurityMode.SignAndEncrypt], securityPolicies: [SecurityPolicy.Basic256Sha256] } : {};
    const server = new opcuaServer.OPCUAServer({ port: this.port, hostname: '127.0.0.1', resourcePath: '/lastmile-test', serverCertificateManager, ...security });
    await server.initialize();
    const addressSpace = server.engine.addressSpace!;
    const namespace = addressSpace.getOwnNamespace();
    const sump = namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Sump' });
    this.levelVariable = namespace.addVariable({ componentOf: sump, nodeId: 's=Sump.Level', browseName: 'Level', dataType: 'Double', minimumSamplingInterval: 50 });
    this.floatVariable = namespace.addVariable({ componentOf: sump, nodeId: 's=Sump.HighFloat', browseName: 'HighFloat', dataType: 'Boolean', minimumSamplingInterval: 50 });
    this.setLevel(initialLevelCm);
    this.setFloat(false);
    await server.start();
    this.server = server;
  }

  setLevel(cm: number, bad = false): void {
    this.levelVariable?.setValueFromSource(new Variant({ dataType: DataType.Double, value: cm }), bad ? StatusCodes.BadSensorFailure : StatusCodes.Good);
  }

  setFloat(high: boolean): void {
    this.floatVariable?.setValueFromSource(new Variant({ dataType: DataType.Boolean, value: high }), StatusCodes.Good);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = this.levelVariable = this.floatVariable = undefined;
    await server?.shutdown(0);
  }
}
