// Human units in config files: durations ("500ms", "5s", "10m", "7d") and sizes ("256MB").
// The config schema (config/sections/common.ts) turns them into milliseconds and bytes when it validates;
// the parsers are also used for command-line options such as --timeout 500ms.

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)$/;

/** Parses "250ms", "5s", "1.5m", "2h", "7d" into milliseconds; returns undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_RE.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * DURATION_UNITS_MS[match[2]!]!);
}

/** Parses "512KB", "256MB", "1GB" (binary multiples) into bytes; returns undefined when malformed. */
export function parseSize(text: string): number | undefined {
  const match = SIZE_RE.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * SIZE_UNITS[match[2]!]!);
}
