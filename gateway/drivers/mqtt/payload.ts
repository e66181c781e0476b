// Parsing one MQTT payload into the JSON object the profile's `json` paths pick from. Pure; a bad
// payload is a reason (counted and logged by the driver), never an exception.

export type MalformedReason = 'too_large' | 'not_utf8' | 'not_json' | 'not_object';

export type ParsedPayload = { ok: true; value: Record<string, unknown> } | { ok: false; reason: MalformedReason; detail: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseJsonPayload(payload: Buffer, maxBytes: number): ParsedPayload {
  if (payload.length > maxBytes) return { ok: false, reason: 'too_large', detail: `${payload.length} bytes, limit ${maxBytes}` };
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch (_error) {
    return { ok: false, reason: 'not_utf8', detail: 'payload is not UTF-8 text' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: 'not_json', detail: (error as Error).message.slice(0, 120) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'not_object', detail: `expected a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}` };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** The start of a payload, printable, for a log line an installer can recognise (never the whole payload). */
export function payloadPreview(payload: Buffer, maxChars = 60): string {
  const text = payload.subarray(0, maxChars * 4).toString('utf8').replace(/[^\x20-\x7e\u4e00-\u9fff]/g, '.');
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}
