// The OPC UA driver as config sees it: `opcua: { endpoint, nodes, publishingInterval }` on the source,
// nodes that must name points of the profile, and the `drivers.opcua` security block (./options.ts). node-opcua itself loads only when a site has OPC UA sources.
import { z } from 'zod';
import { duration, id } from '../../../config/sections/common.js';
import type { DriverPlugin, WithSiteOptions } from '../plugin.js';
import { OPCUA_RETIRED_ENVIRONMENT, opcuaDriverOptions } from './options.js';

const sourceFields = {
  opcua: z
    .strictObject({
      endpoint: z.string().regex(/^opc\.tcp:\/\//, 'expected opc.tcp://host:port/path'),
      nodes: z.record(id, z.string().min(1)).describe('Point id → NodeId, e.g. "ns=1;s=Level"'),
      publishingInterval: duration.prefault('1s'),
    })
    .optional(),
};

export const opcuaPlugin: DriverPlugin<'opcua', typeof sourceFields> & WithSiteOptions<typeof opcuaDriverOptions> = {
  name: 'opcua',
  summary: 'OPC UA servers (pump-room PLCs, building management systems), by subscription',
  sourceFields,
  siteOptions: opcuaDriverOptions,
  retiredEnvironment: OPCUA_RETIRED_ENVIRONMENT,
  checkSource(check) {
    const { source, profile } = check;
    if (source.opcua === undefined) {
      check.report(check.at(), 'an OPC UA source needs "opcua: { endpoint, nodes }"');
      return;
    }
    const pointIds = new Set(profile.points.map((p) => p.id));
    for (const pointId of Object.keys(source.opcua.nodes)) {
      if (!pointIds.has(pointId)) check.report(check.at('opcua', 'nodes'), `profile ${profile.id} has no point "${pointId}"`, pointId);
    }
  },
  load: async () => (await import('./driver.js')).createOpcuaDriver,
};
