// The GB/T 26875.3 driver as config sees it: the `gbt26875:` block on the source (../../../config/sections/
// gbt26875.ts), one listener per transmission device, and the json path every point needs.
import { jsonPath } from '../../../config/profile-atoms.js';
import { gbt26875Source } from '../../../config/sections/gbt26875.js';
import type { DriverPlugin } from '../plugin.js';
import { gbt26875DriverOptions } from './options.js';

const sourceFields = {
  gbt26875: gbt26875Source.optional().describe('GB/T 26875.3 fire-panel transmission device: listener, addresses, component map'),
};

const pointFields = { json: jsonPath };

export const gbt26875Plugin: DriverPlugin<'gbt26875', typeof sourceFields, typeof pointFields> = {
  name: 'gbt26875',
  summary: 'fire-panel user information transmission devices (GB/T 26875.3-2011 over TCP; the device connects)',
  sourceFields,
  pointFields,
  options: gbt26875DriverOptions,
  checkSource(check) {
    const { source } = check;
    if (source.gbt26875 === undefined) {
      check.report(check.at(), 'a GB/T 26875 source needs "gbt26875: { listen: { host, port } }"');
      return;
    }
    const { host, port } = source.gbt26875.listen;
    const owner = check.claim(`tcp-listen#${host}:${port}`, source.id);
    if (owner !== undefined) {
      check.report(check.at('gbt26875', 'listen', 'port'), `${host}:${port} is already the listener of source "${owner}"; give each transmission device its own port`);
    }
  },
  checkPoint({ yaml, profile, index }) {
    return profile.points[index]!.json === undefined
      ? [yaml.issue(['points', index], 'a GB/T 26875 point needs a "json" field path (system.fire, component.state, …)')]
      : [];
  },
  load: async () => (await import('./driver.js')).createGbt26875Driver,
};
