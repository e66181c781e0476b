// Two connected in-memory byte streams (a null-modem cable): what one writes, the other reads.
// Used for link logic tests; the real-line tests use a socat pty pair instead.
import { Duplex } from 'node:stream';

export function duplexPair(): [Duplex, Duplex] {
  const make = (peer: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        const copy = Buffer.from(chunk);
        // Delivered on a later turn, as a real line does: an answer never arrives inside write().
        setImmediate(() => {
          const other = peer();
          if (!other.destroyed) other.push(copy);
        });
        callback();
      },
    });
  const a: Duplex = make(() => b);
  const b: Duplex = make(() => a);
  return [a, b];
}
