// Gateways must connect with their own client id (no one takes over another gateway's persistent
// session); `lastmile doctor` may check the same credentials as `<gateway>-doctor` without touching it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import { connectGateway, provision, startService, testConfig } from './fixture.js';

describe('cloud-ingest client ids', () => {
  let service: CloudIngest;
  let password: string;

  beforeAll(async () => {
    const config = testConfig({});
    password = provision(config.dataDir, 'gw-a', 'town', 'c1').password;
    service = await startService(config);
  });

  afterAll(async () => {
    await service?.stop();
  });

  it('accepts the gateway id and its -doctor twin, and does not count the doctor as the gateway', async () => {
    const doctor = await connectGateway(service.brokerPort, 'gw-a', password, { clientId: 'gw-a-doctor' });
    expect(doctor.connected).toBe(true);
    expect(service.ingest.gateways.get('gw-a')?.connected ?? false).toBe(false);
    await doctor.endAsync();
    const gateway = await connectGateway(service.brokerPort, 'gw-a', password);
    expect(gateway.connected).toBe(true);
    await gateway.endAsync();
  });

  it('refuses any other client id with the right password', async () => {
    await expect(connectGateway(service.brokerPort, 'gw-a', password, { clientId: 'gw-b' })).rejects.toThrow(/Bad username or password|bad user name or password|Not authorized/i);
  });
});
