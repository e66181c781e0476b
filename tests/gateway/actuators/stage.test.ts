// The actuators stage with the runtime's GPIO port (injected through Services, as the demo does), on the
// in-memory port (no GPIO on this machine): siren, strobe and button wired from the site config, and
// every line released on stop.
import { describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../../config/load-site.js';
import { ActuatorsStage } from '../../../gateway/actuators/stage.js';
import { MemoryGpioPort } from '../../../gateway/drivers/gpio/memory-port.js';
import { EventBus } from '../../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../../gateway/pipeline/events.js';
import type { GatewayCommand } from '../../../gateway/pipeline/types.js';
import { testContext } from '../../helpers/runtime-context.js';

const yaml = `
version: 1
gateway: { township: tw, compound: c1, id: gw-1 }
buses: [{ id: b1, type: tcp, host: 127.0.0.1, port: 5020 }]
sources: [{ id: smoke-1, profile: calectro/uniguard-ug3-mb, bus: b1, unit: 1, tags: { building: "3" } }]
actuators:
  - { id: siren-1, type: gpio, role: siren, line: 17 }
  - { id: strobe-1, type: gpio, role: strobe, line: 27 }
  - { id: button-1, type: gpio, role: silence_button, line: 22, debounce: 0ms }
`;

describe('actuators stage', () => {
  it('drives siren and strobe from alarm events, turns a button press into a command, and releases its lines', async () => {
    const port = new MemoryGpioPort();
    port.setInput(22, 1);
    const loaded = parseSiteConfig('site.yaml', yaml);
    const events = new EventBus<GatewayEvents>((event, error) => {
      throw new Error(`${event}: ${String(error)}`);
    });
    const stage = new ActuatorsStage(testContext(loaded, { events, gpioPort: () => port }));
    await stage.start();
    const commands: GatewayCommand[] = [];
    events.on('command', (c) => commands.push(c));

    events.emit('alarm', { eventId: 'e1', alarmId: 'smoke-1.smoke_alarm.smoke', transition: 'raise', state: 'raised', level: 'fire', source: 'smoke-1', point: 'smoke_alarm', rule: 'smoke', value: 'smoke', text: { zh: '火警', en: 'Fire' }, tags: {}, ts: 0, mono: 0, timeSynced: true, by: undefined });
    await new Promise((r) => setImmediate(r));
    expect(port.outputLevel(17)).toBe(1);
    expect(port.outputLevel(27)).toBe(1);

    port.setInput(22, 0);
    port.setInput(22, 1);
    expect(commands).toEqual([{ kind: 'silence', alarmId: undefined, by: 'button:button-1', forMs: 900_000 }]);

    await stage.stop();
    await new Promise((r) => setImmediate(r));
    expect(port.openLines()).toEqual({ inputs: [], outputs: [] });
  });
});
