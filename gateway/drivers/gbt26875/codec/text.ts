// Descriptions are fixed 31-byte GB 18030 strings (§8.2.1.2), padded with NULs or spaces. Node's ICU
// decodes GB 18030; it has no encoder, so the simulator's encoder is the decoder's table read backwards.

export const DESCRIPTION_BYTES = 31;

const decoder = new TextDecoder('gb18030', { fatal: true });

export type DescriptionResult = { ok: true; text: string } | { ok: false; hex: string; detail: string };

/** The text up to the first NUL, trailing spaces cut. Undecodable bytes are a result, never an exception. */
export function decodeDescription(bytes: Uint8Array): DescriptionResult {
  const nul = bytes.indexOf(0);
  const used = nul === -1 ? bytes : bytes.subarray(0, nul);
  try {
    return { ok: true, text: decoder.decode(used).replace(/[\s\u3000]+$/u, '') };
  } catch (_error) {
    return { ok: false, hex: Buffer.from(used).toString('hex'), detail: 'not valid GB 18030' };
  }
}

let table: Map<string, Buffer> | undefined;

/** Two-byte GB 18030 (GBK range) for every character it covers; ASCII is one byte. Built on first use. */
function encodingTable(): Map<string, Buffer> {
  if (table) return table;
  table = new Map();
  const single = new TextDecoder('gb18030', { fatal: true });
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      const pair = Buffer.from([lead, trail]);
      let char: string;
      try {
        char = single.decode(pair);
      } catch (_error) {
        continue;
      }
      if (char.length === 1 && !table.has(char)) table.set(char, pair);
    }
  }
  return table;
}

/** Encodes text as a 31-byte description, NUL-padded. Throws for characters outside ASCII and GBK, or too long. */
export function encodeDescription(text: string): Buffer {
  const parts: Buffer[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) parts.push(Buffer.from([code]));
    else {
      const bytes = encodingTable().get(char);
      if (!bytes) throw new RangeError(`character "${char}" has no two-byte GB 18030 code`);
      parts.push(bytes);
    }
  }
  const body = Buffer.concat(parts);
  if (body.length > DESCRIPTION_BYTES) throw new RangeError(`description "${text}" is ${body.length} bytes; at most ${DESCRIPTION_BYTES}`);
  const out = Buffer.alloc(DESCRIPTION_BYTES);
  body.copy(out);
  return out;
}
