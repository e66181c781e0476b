// Frame layout (firmware-bridge/PROTOCOL.md §2), all fields one byte except the marker and the CRC:
//   A5 5A | len | type | seq | node | payload[len] | crc lo | crc hi
// The CRC covers len..payload (not the marker). len counts payload bytes only, at most MAX_PAYLOAD.
import { crc16 } from './crc.js';

export const MARKER_0 = 0xa5;
export const MARKER_1 = 0x5a;
/** Bytes before the payload: marker (2), len, type, seq, node. */
export const HEADER_BYTES = 6;
export const CRC_BYTES = 2;
export const FRAME_OVERHEAD = HEADER_BYTES + CRC_BYTES;
/** Largest payload; keeps a whole frame (248 bytes) inside one 256-byte MCU receive buffer. */
export const MAX_PAYLOAD = 240;
export const MAX_FRAME = FRAME_OVERHEAD + MAX_PAYLOAD;
/** Node id the gateway uses for frames addressed to every node (e.g. TIME); never a node's own id. */
export const BROADCAST_NODE = 0xff;

export interface Frame {
  readonly type: number;
  /** 0–255, per sender; ACK/NAK carry the sequence number they answer. */
  readonly seq: number;
  /** The node the frame is from (node → gateway) or to (gateway → node). */
  readonly node: number;
  readonly payload: Uint8Array;
}

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** Builds the wire bytes of a frame; throws FrameError on fields that do not fit (a caller bug, not line noise). */
export function encodeFrame(frame: Frame): Buffer {
  const { type, seq, node, payload } = frame;
  for (const [name, value] of [['type', type], ['seq', seq], ['node', node]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new FrameError(`frame ${name} ${value} is not a byte`);
  }
  if (payload.length > MAX_PAYLOAD) throw new FrameError(`payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const out = Buffer.allocUnsafe(FRAME_OVERHEAD + payload.length);
  out[0] = MARKER_0;
  out[1] = MARKER_1;
  out[2] = payload.length;
  out[3] = type;
  out[4] = seq;
  out[5] = node;
  out.set(payload, HEADER_BYTES);
  const crc = crc16(out, 2, HEADER_BYTES + payload.length);
  out[HEADER_BYTES + payload.length] = crc & 0xff;
  out[HEADER_BYTES + payload.length + 1] = crc >>> 8;
  return out;
}
