// A step request from the page, checked field by field (the browser is untrusted): the step, the
// version the officer saw, and the fields that step needs, as enums where the workflow has them.
import { z } from 'zod';
import { CLOSE_CAUSES, CONFIRM_METHODS, CONFIRMATIONS, type StepRequest } from '../alarms/types.js';

const text = z.string().max(500);
const version = z.number().int().min(0);

const body = z.discriminatedUnion('step', [
  z.strictObject({ step: z.literal('confirmed'), version, confirmation: z.enum(CONFIRMATIONS), method: z.enum(CONFIRM_METHODS), note: text.optional() }),
  z.strictObject({ step: z.literal('dispatched'), version, to: text, note: text.optional() }),
  z.strictObject({ step: z.literal('handled'), version, note: text }),
  z.strictObject({ step: z.literal('closed'), version, cause: z.enum(CLOSE_CAUSES), note: text.optional() }),
]);

export function parseStepBody(input: unknown): { ok: true; request: StepRequest; version: number } | { ok: false; error: string } {
  const parsed = body.safeParse(input);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') };
  const { version: v, ...request } = parsed.data;
  return { ok: true, request: request as StepRequest, version: v };
}
