// The phone page for grid workers (网格员) and compound staff: /m lists the cases dispatched to the
// logged-in user, and two actions feed the same workflow as the board: arrived (a step on the case) and
// handled (the workflow's handled step, with a note and an optional site photo). Same login, same
// township check, same CSP.
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ConflictError, WorkflowError } from '../alarms/store.js';
import type { AlarmCase } from '../alarms/types.js';
import type { CloudIngest } from '../service.js';
import { PHONE_PAGE, PHONE_SCRIPT, PHONE_STYLE } from './phone-page.js';
import { REPORT_PAGE, REPORT_SCRIPT, REPORT_STYLE } from './report-page.js';
import { MAX_PHOTO_BYTES, PhotoError, PhotoStore } from './photos.js';
import type { Session } from './sessions.js';
import { boardCase } from './views.js';

const arrivedBody = z.strictObject({ note: z.string().max(500).optional() });
const handledBody = z.strictObject({ version: z.number().int().min(0), note: z.string().min(1).max(500), photo: z.string().max(Math.ceil((MAX_PHOTO_BYTES * 4) / 3) + 100).optional() });

/** Cases sent to this person: dispatched (or escalated) to their user name or display name. */
function isMine(c: AlarmCase, staff: Session): boolean {
  return c.step === 'dispatched' && (c.assignee === staff.user || (staff.displayName !== undefined && c.assignee === staff.displayName));
}

export function addPhoneRoutes(app: FastifyInstance, service: CloudIngest, requireStaff: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>): void {
  const photos = new PhotoStore(join(service.config.dataDir, 'photos'));
  const send = (type: string, body: string) => async (_request: FastifyRequest, reply: FastifyReply) => reply.type(type).header('cache-control', 'no-store').send(body);
  app.get('/m', send('text/html; charset=utf-8', PHONE_PAGE));
  app.get('/m.js', send('text/javascript; charset=utf-8', PHONE_SCRIPT));
  app.get('/m.css', send('text/css; charset=utf-8', PHONE_STYLE));
  // The printable daily / weekly report (its data comes from the same logged-in APIs).
  app.get('/report', send('text/html; charset=utf-8', REPORT_PAGE));
  app.get('/report.js', send('text/javascript; charset=utf-8', REPORT_SCRIPT));
  app.get('/report.css', send('text/css; charset=utf-8', REPORT_STYLE));

  app.get('/api/mine', { preHandler: requireStaff }, async (request) => {
    const staff = request.staff as Session;
    return (await service.alarms.listOpen(staff.township)).filter((c) => isMine(c, staff)).map((c) => boardCase(c, service.alarms.policy));
  });

  const mineOr404 = async (staff: Session, caseId: string, reply: FastifyReply): Promise<AlarmCase | undefined> => {
    const c = await service.alarms.get(caseId);
    if (!c || c.township !== staff.township) {
      await reply.code(404).send({ error: '没有这个警情 / no such alarm case' });
      return undefined;
    }
    return c;
  };
  const answer = async (reply: FastifyReply, action: () => Promise<AlarmCase>) => {
    try {
      return boardCase(await action(), service.alarms.policy);
    } catch (error) {
      if (error instanceof ConflictError) return reply.code(409).send({ error: error.message, conflict: true });
      if (error instanceof WorkflowError) return reply.code(409).send({ error: error.message });
      if (error instanceof PhotoError) return reply.code(400).send({ error: error.message });
      throw error;
    }
  };

  app.post<{ Params: { caseId: string } }>('/api/alarms/:caseId/arrived', { preHandler: requireStaff }, async (request, reply) => {
    const staff = request.staff as Session;
    const c = await mineOr404(staff, request.params.caseId, reply);
    if (!c) return reply;
    const body = arrivedBody.safeParse(request.body ?? {});
    if (!body.success) return reply.code(400).send({ error: body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    return answer(reply, () => service.alarms.recordArrival(c.caseId, staff.user, body.data.note));
  });

  // A photo makes the body larger than the console's 64 KiB: this route alone takes up to 4.5 MiB.
  app.post<{ Params: { caseId: string } }>('/api/alarms/:caseId/handled', { preHandler: requireStaff, bodyLimit: Math.ceil((MAX_PHOTO_BYTES * 3) / 2) }, async (request, reply) => {
    const staff = request.staff as Session;
    const c = await mineOr404(staff, request.params.caseId, reply);
    if (!c) return reply;
    const body = handledBody.safeParse(request.body);
    if (!body.success) return reply.code(400).send({ error: body.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') });
    const { version, note, photo } = body.data;
    return answer(reply, async () => {
      const name = photo ? photos.save(c.caseId, photo) : undefined;
      return service.workflow.step(c.caseId, name ? { step: 'handled', note, photo: name } : { step: 'handled', note }, staff.user, version);
    });
  });

  app.get<{ Params: { caseId: string; name: string } }>('/api/photos/:caseId/:name', { preHandler: requireStaff }, async (request, reply) => {
    const staff = request.staff as Session;
    const c = await mineOr404(staff, request.params.caseId, reply);
    if (!c) return reply;
    const photo = photos.read(c.caseId, request.params.name);
    if (!photo) return reply.code(404).send({ error: 'no such photo / 没有这张照片' });
    return reply.type(photo.type).header('cache-control', 'private, max-age=86400').send(photo.bytes);
  });
}
