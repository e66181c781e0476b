// DL/T 645 data items: BCD numbers in the standard's notation ("XXXXXX.XX" = 8 digits, 2 decimals, 4 bytes),
// sent low byte first, with the top bit of the highest byte as the sign for currents and powers
// (../shared/reference/devices-and-field.md §2 table). Status words are plain binary, low byte first.
// The driver turns an item into its raw integer (digits with the sign applied); the profile's `scale`
// (10^-decimals, checked when profiles load) and the decoder make it a measurement.

export interface ItemFormat {
  /** The standard's notation: X per digit, '.' where the decimals start, e.g. XXX.XXX. */
  readonly format: string;
  /** Top bit of the highest byte is the sign (currents, powers). */
  readonly signed: boolean;
  /** A binary word (run status words), not BCD. */
  readonly binary: boolean;
}

export const FORMAT_PATTERN = /^X+(\.X+)?$/;

/** Bytes and decimals of a format such as XXX.XXX (6 digits → 3 bytes, 3 decimals). */
export function formatShape(format: string): { bytes: number; decimals: number } {
  if (!FORMAT_PATTERN.test(format)) throw new Error(`format "${format}": expected the standard's notation, e.g. XXXXXX.XX`);
  const [whole, fraction = ''] = format.split('.');
  const digits = whole!.length + fraction.length;
  if (digits % 2 !== 0) throw new Error(`format "${format}": ${digits} digits do not fill whole bytes`);
  return { bytes: digits / 2, decimals: fraction.length };
}

export type ItemValue = { ok: true; raw: number } | { ok: false; message: string };

/** Item bytes as received (0x33 already removed, low byte first) → the raw integer. */
export function decodeItem(bytes: Uint8Array, item: ItemFormat): ItemValue {
  const { bytes: size } = formatShape(item.format);
  if (bytes.length < size) return { ok: false, message: `format ${item.format} needs ${size} byte(s), got ${bytes.length}` };
  if (item.binary) {
    let raw = 0;
    for (let i = size - 1; i >= 0; i--) raw = raw * 256 + bytes[i]!;
    return { ok: true, raw };
  }
  let raw = 0;
  let negative = false;
  for (let i = size - 1; i >= 0; i--) {
    let byte = bytes[i]!;
    if (i === size - 1 && item.signed) {
      negative = (byte & 0x80) !== 0;
      byte &= 0x7f;
    }
    const high = byte >> 4;
    const low = byte & 0x0f;
    if (high > 9 || low > 9) return { ok: false, message: `byte ${i} (0x${bytes[i]!.toString(16).padStart(2, '0')}) is not BCD` };
    raw = raw * 100 + high * 10 + low;
  }
  return { ok: true, raw: negative ? -raw : raw };
}

/** The raw integer → item bytes, low byte first (for the simulator and tests). Throws when it does not fit. */
export function encodeItem(raw: number, item: ItemFormat): Buffer {
  const { bytes: size } = formatShape(item.format);
  const out = Buffer.alloc(size);
  if (!Number.isInteger(raw)) throw new Error(`raw value ${raw} is not an integer`);
  if (item.binary) {
    if (raw < 0 || raw >= 256 ** size) throw new Error(`raw value ${raw} does not fit ${size} byte(s)`);
    for (let i = 0, rest = raw; i < size; i++, rest = Math.floor(rest / 256)) out[i] = rest % 256;
    return out;
  }
  if (raw < 0 && !item.signed) throw new Error(`raw value ${raw} is negative but format ${item.format} is unsigned`);
  let rest = Math.abs(raw);
  for (let i = 0; i < size; i++, rest = Math.floor(rest / 100)) {
    const pair = rest % 100;
    out[i] = (Math.floor(pair / 10) << 4) | pair % 10;
  }
  if (rest > 0 || (item.signed && (out[size - 1]! & 0x80) !== 0)) throw new Error(`raw value ${raw} does not fit format ${item.format}`);
  if (raw < 0) out[size - 1]! |= 0x80;
  return out;
}
