// What a deploy/ systemd unit starts a product process with, read from the unit file itself, so that a
// bench runs the process as a box runs it: the node options of its ExecStart line and the environment of
// its Environment= lines. bench:peer reads deploy/lastmile.service (the gateway), bench:fleet
// deploy/lastmile-ingest.service (the township).
import { readFileSync } from 'node:fs';

export interface ServiceUnit {
  /** The unit's file name under deploy/, for the bench's JSON. */
  readonly file: string;
  /** The words between `/usr/bin/node` and the entry script on the ExecStart line. */
  readonly nodeOptions: readonly string[];
  /** The Environment= lines, key to value, in the unit's order. */
  readonly environment: ReadonlyMap<string, string>;
}

/**
 * Reads deploy/<file> and its ExecStart line for `/opt/lastmile/<entry>` (e.g. `bin/lastmile.js`); throws
 * when the unit has no such line, so that a bench never silently runs without the unit's options.
 */
export function readServiceUnit(file: string, entry: string): ServiceUnit {
  const text = readFileSync(new URL(`../deploy/${file}`, import.meta.url), 'utf8');
  const escaped = `/opt/lastmile/${entry}`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const line = new RegExp(`^ExecStart=/usr/bin/node (.*?)${escaped}(?: |$)`, 'm').exec(text);
  if (!line) throw new Error(`deploy/${file}: no ExecStart=/usr/bin/node … /opt/lastmile/${entry} line`);
  const environment = new Map<string, string>();
  for (const [, key, value] of text.matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm)) environment.set(key!, value!);
  return { file, nodeOptions: line[1]!.split(' ').filter((word) => word !== ''), environment };
}

/** The harness's environment with the unit's Environment= lines over it; `override` replaces a unit value (e.g. the config path). */
export function serviceEnvironment(unit: ServiceUnit, override: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of unit.environment) env[key] = override[key] ?? value;
  return env;
}
