// mqtt-packet (under aedes and mqtt.js) makes a Buffer for every number from 0 to 65,535 the first time a
// packet is written, to save ~50 ns each time a number (a message id, a length) is written, a few per
// packet: 65,536 small Buffers, measured at 7 MB of heap and 18 MB of RSS. A gateway has 512 MB to 1 GB,
// and a township worker is held to 200 MB at 1,000 gateways (issue 19), so each process makes its numbers
// as it writes them instead: mqtt-packet's documented switch, which must be set before the first packet
// is written (each process's entry point calls this first).
import mqttPacket from 'mqtt-packet';

export function makeMqttNumbersAsWritten(): void {
  mqttPacket.writeToStream.cacheNumbers = false;
}
