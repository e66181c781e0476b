// Schema atoms shared by the site config and device profiles.
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { KNOWN_UNITS } from '../../gateway/shared/measure-units.js';
import { parseDuration, parseSize } from '../../gateway/shared/units.js';

export { alarmLevel, deviceClass, id, localText, logSettings } from '../../contract/config-atoms.js';

/** A file or folder the gateway opens: absolute, so it does not depend on the service's working directory. */
export function absolutePath(example: string) {
  return z.string().min(1).refine(isAbsolute, `use an absolute path, e.g. ${example}`);
}

/**
 * A duration as people write it ("500ms", "5s", "10m", "2h", "7d"), a number of milliseconds once
 * validated: code never parses a config string again. Defaults are given as text with `.prefault('5s')`
 * (parsed like any value, and shown as text in the JSON Schema and the reference configs). A codec, so a
 * validated object can be turned back into config text (`schema.encode`) when it must be checked again
 * (a site's rule override merged onto a profile's rule).
 */
export const duration = z
  .codec(
    z.string().refine((text) => parseDuration(text) !== undefined, 'expected a duration such as "500ms", "5s", "10m", "2h" or "7d"'),
    z.number().int().nonnegative(),
    { decode: (text) => parseDuration(text)!, encode: (ms) => `${ms}ms` },
  )
  .describe('Duration: a number with ms, s, m, h or d');

/** A size as people write it ("512KB", "256MB", "2GB"), a number of bytes once validated; defaults with `.prefault('4MB')`. */
export const size = z
  .codec(
    z.string().refine((text) => parseSize(text) !== undefined, 'expected a size such as "512KB", "256MB" or "2GB"'),
    z.number().int().nonnegative(),
    { decode: (text) => parseSize(text)!, encode: (bytes) => `${bytes}B` },
  )
  .describe('Size: a number with B, KB, MB or GB');

/** A unit of measure from the one registry (gateway/shared/measure-units.ts), so values convert before rules compare them. */
export const measureUnit = z.enum(KNOWN_UNITS as [string, ...string[]], {
  error: (issue) => `unknown unit ${JSON.stringify(issue.input)} (known: ${KNOWN_UNITS.join(', ')})`,
});

export const serialSettings = {
  baud: z.number().int().positive().describe('Baud rate, e.g. 2400, 9600, 19200'),
  parity: z.enum(['none', 'even', 'odd']),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]),
};

