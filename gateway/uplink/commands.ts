// Commands down from the township on lm/v1/<gateway>/cmd: validated, turned into 'command' events on the
// bus (the alarm stage acts on them), and answered with a CommandResult on .../cmd/result.
import { z } from 'zod';
import type { CommandMessage, CommandResult } from '../../contract/wire.js';
import { ALARM_LEVELS, type GatewayCommand } from '../pipeline/types.js';

const by = z.string().min(1).max(128);
const forMs = z.number().int().positive().max(7 * 24 * 3_600_000);

const command = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('acknowledge'), alarmId: z.string().min(1), by }),
  z.strictObject({ kind: z.literal('silence'), alarmId: z.string().min(1).optional(), by, forMs }),
  z.strictObject({ kind: z.literal('reset'), alarmId: z.string().min(1), by }),
  z.strictObject({ kind: z.literal('test_alarm'), by, level: z.enum(ALARM_LEVELS), forMs }),
  z.strictObject({ kind: z.literal('request_health'), by }),
  z.strictObject({ kind: z.literal('request_config'), by }),
]);

const message = z.strictObject({ id: z.string().min(1).max(128), command });

export type ParsedCommand = { ok: true; message: CommandMessage } | { ok: false; id: string | undefined; error: string };

export function parseCommand(payload: Buffer): ParsedCommand {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    return { ok: false, id: undefined, error: `command is not JSON: ${(error as Error).message}` };
  }
  const parsed = message.safeParse(json);
  if (!parsed.success) {
    const id = typeof (json as { id?: unknown })?.id === 'string' ? (json as { id: string }).id : undefined;
    return { ok: false, id, error: `command rejected: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
  }
  const c = parsed.data.command;
  // zod's optional gives `alarmId?: string`; GatewayCommand wants the key present (possibly undefined).
  const normalized: GatewayCommand = c.kind === 'silence' ? { ...c, alarmId: c.alarmId } : c;
  return { ok: true, message: { id: parsed.data.id, command: normalized } };
}

export function commandResult(id: string, ok: boolean, text: string, data?: unknown): CommandResult {
  return data === undefined ? { id, ok, message: text } : { id, ok, message: text, data };
}
