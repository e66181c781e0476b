// CRC-16/MODBUS (poly 0x8005 reflected = 0xA001, init 0xFFFF, no final xor), the CRC every Modbus RTU
// device on the same RS-485 bus already computes, so node firmware can share one routine.
// Check value: crc16("123456789") = 0x4B37; it goes on the wire low byte first.

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    table[byte] = crc;
  }
  return table;
})();

/** CRC-16/MODBUS of bytes[start, end). */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ bytes[i]!) & 0xff]!;
  return crc;
}
