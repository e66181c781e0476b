// Schema atoms both configs use (the gateway's site config and cloud-ingest's), built from the vocabulary
// so a level or class named in a config is one the wire knows.
import { z } from 'zod';
import { ALARM_LEVELS, DEVICE_CLASSES } from './vocabulary.js';

/** Ids used in topics, tags and file names: lowercase letters, digits, '-' and '_'. */
export const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'use 1–64 lowercase letters, digits, "-" or "_" (it becomes a topic and tag)');

/** Text read by residents, installers and township staff: Chinese first, English beside it. */
export const localText = z.strictObject({
  zh: z.string().min(1),
  en: z.string().min(1),
});

export const alarmLevel = z.enum(ALARM_LEVELS);

export const deviceClass = z.enum(DEVICE_CLASSES);

/** `log:` in the site and cloud-ingest configs; the LASTMILE_LOG_LEVEL environment variable overrides it (for one run). */
export const logSettings = z.strictObject({
  level: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Least severe log level written (JSON lines on stdout); LASTMILE_LOG_LEVEL overrides it'),
});
