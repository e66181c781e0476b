// Config of the workflow database (the `database` section).
import { z } from 'zod';

export const databaseSection = z
  .strictObject({
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\/(?![^/]*:[^/]*@)/, 'expected postgres://user@host:5432/db, without a password (use passwordFile)')
      .optional()
      .describe('PostgreSQL shared by every worker; without it, an embedded SQLite file under dataDir (one worker)'),
    passwordFile: z.string().min(1).optional().describe('File with the database password'),
    poolSize: z.number().int().min(1).max(100).default(8),
  })
  .default({ poolSize: 8 });
export type DatabaseOptions = z.infer<typeof databaseSection>;
