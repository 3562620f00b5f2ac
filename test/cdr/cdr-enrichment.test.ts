// Call records gain the directory's view of the parties at insert time (issue 7 point 5): the
// department path of an extension's employee, a missing name from the employee or the contact,
// and the callee kind (colleague, contact, other) — in the writer's INSERT, in this thread and
// on the writer thread.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallEventBus } from '../../src/calls/call-events.ts';
import { CdrWriter, ThreadedCdrWriter } from '../../src/cdr/index.ts';
import { tempServices } from '../fixtures.ts';
import { publishCall } from './cdr-fixtures.ts';

let env: ReturnType<typeof tempServices>;
let bus: CallEventBus;
let t: number;
let ann: { id: number; number: string };
let bob: { id: number; number: string };
let fax: { id: number; number: string };
const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);

const record = (id: string) =>
  env.services.db.sqlite.prepare('SELECT caller_name, caller_department, callee_name, callee_department, callee_kind FROM call WHERE id = ?').get(id) as Record<string, unknown>;

beforeEach(() => {
  env = tempServices();
  bus = new CallEventBus();
  t = env.services.tenants.defaultTenant().id;
  const { departments, employees, contacts, extensions } = env.services;
  departments.add(t, { name: 'Sales' });
  departments.add(t, { name: 'East', parent: 'Sales' });
  departments.add(t, { name: 'Admin' });
  const a = employees.add(t, { employeeNo: 'E1', name: 'Ann', department: 'Sales/East' }).employee;
  const b = employees.add(t, { employeeNo: 'E2', name: 'Bob', department: 'Admin' }).employee;
  employees.add(t, { employeeNo: 'E3', name: 'Cy' }); // no department
  ann = { id: extensions.show(t, a.extension!).id, number: a.extension! };
  bob = { id: extensions.show(t, b.extension!).id, number: b.extension! };
  const f = extensions.add(t, { number: '600', password: 'secret-600', displayName: 'Fax' }).extension;
  fax = { id: f.id, number: f.number };
  contacts.add(t, { name: 'Wang Wu', company: 'Client Co', numbers: ['13812345678', '01088886666'] });
  env.services.tenants.updateSettings(t, { area_code: '10' });
});
afterEach(() => env.cleanup());

const end = { endAfter: 1000, disposition: 'answered' as const, hangupBy: 'caller' as const, answerAfter: 500 };

describe('call records: departments, names and the callee kind', () => {
  it('fills them in the writer INSERT (this thread)', () => {
    const writer = new CdrWriter(env.services.db, { groupCommit: false }).attach(bus);
    // colleague to colleague, names from the employees when call control has none
    publishCall(bus, { callId: 'int', tenantId: t, at: T0, caller: { number: ann.number, extensionId: ann.id }, callee: { number: bob.number, extensionId: bob.id }, ...end });
    expect(record('int')).toEqual({ caller_name: 'Ann', caller_department: 'Sales/East', callee_name: 'Bob', callee_department: 'Admin', callee_kind: 'colleague' });
    // the callee named by number only (an internal call): still a colleague; a name given wins
    publishCall(bus, { callId: 'int2', tenantId: t, at: T0 + 1, caller: { number: bob.number, extensionId: bob.id, name: 'Bobby' }, callee: { number: ann.number }, ...end });
    expect(record('int2')).toEqual({ caller_name: 'Bobby', caller_department: 'Admin', callee_name: 'Ann', callee_department: 'Sales/East', callee_kind: 'colleague' });
    // a function extension: no department; an employee without one: none either
    publishCall(bus, { callId: 'fax', tenantId: t, at: T0 + 2, caller: { number: fax.number, extensionId: fax.id, name: 'Fax' }, callee: { number: '802' }, ...end });
    expect(record('fax')).toEqual({ caller_name: 'Fax', caller_department: null, callee_name: 'Cy', callee_department: null, callee_kind: 'colleague' });
    // an internal call to a number that is no extension
    publishCall(bus, { callId: 'vm', tenantId: t, at: T0 + 3, caller: { number: ann.number, extensionId: ann.id }, callee: { number: '*97' }, ...end });
    expect(record('vm')).toMatchObject({ callee_name: null, callee_kind: 'other' });
    // outbound to a contact (as routing writes outside numbers: national form) and to a stranger
    publishCall(bus, { callId: 'out', tenantId: t, at: T0 + 4, direction: 'outbound', caller: { number: ann.number, extensionId: ann.id }, callee: { number: '01088886666' }, ...end });
    expect(record('out')).toEqual({ caller_name: 'Ann', caller_department: 'Sales/East', callee_name: 'Wang Wu', callee_department: null, callee_kind: 'contact' });
    publishCall(bus, { callId: 'out2', tenantId: t, at: T0 + 5, direction: 'outbound', caller: { number: ann.number, extensionId: ann.id }, callee: { number: '13900000000' }, ...end });
    expect(record('out2')).toMatchObject({ callee_name: null, callee_kind: 'other' });
    // a short outside number with the digits of an extension is not a colleague
    publishCall(bus, { callId: 'out3', tenantId: t, at: T0 + 6, direction: 'outbound', caller: { number: ann.number, extensionId: ann.id }, callee: { number: bob.number }, ...end });
    expect(record('out3')).toMatchObject({ callee_kind: 'other', callee_department: null });
    // inbound from a contact in any form the carrier sends: the contact's name unless one was presented
    publishCall(bus, { callId: 'in', tenantId: t, at: T0 + 7, direction: 'inbound', caller: { number: '+8613812345678' }, callee: { number: '+861088880000' }, ...end });
    expect(record('in')).toEqual({ caller_name: 'Wang Wu', caller_department: null, callee_name: null, callee_department: null, callee_kind: 'other' });
    publishCall(bus, { callId: 'in2', tenantId: t, at: T0 + 8, direction: 'inbound', caller: { number: '88886666', name: 'Shown' }, callee: { number: '+861088880000' }, ...end });
    expect(record('in2')).toMatchObject({ caller_name: 'Shown' });
    publishCall(bus, { callId: 'in3', tenantId: t, at: T0 + 9, direction: 'inbound', caller: { number: '88886666' }, callee: { number: '+861088880000' }, ...end });
    expect(record('in3')).toMatchObject({ caller_name: 'Wang Wu' }); // local number + the tenant's area code
    publishCall(bus, { callId: 'anon', tenantId: t, at: T0 + 10, direction: 'inbound', caller: { number: 'anonymous' }, callee: { number: '+861088880000' }, ...end });
    expect(record('anon')).toMatchObject({ caller_name: null, callee_kind: 'other' });
    // another tenant's contacts and extensions are not this tenant's
    const acme = env.services.tenants.add({ name: 'acme', domain: 'acme.example' });
    publishCall(bus, { callId: 'acme', tenantId: acme.id, at: T0 + 11, direction: 'outbound', caller: { number: '800' }, callee: { number: '01088886666' }, ...end });
    expect(record('acme')).toMatchObject({ callee_name: null, callee_kind: 'other' });
    publishCall(bus, { callId: 'acme2', tenantId: acme.id, at: T0 + 12, caller: { number: '800' }, callee: { number: ann.number }, ...end });
    expect(record('acme2')).toMatchObject({ callee_kind: 'other', callee_name: null });
    writer.stop();

    // records keep what was true at the time of the call
    env.services.departments.move(t, 'Sales/East', null);
    env.services.employees.update(t, 'E1', { name: 'Ann Lee' });
    expect(record('int')).toMatchObject({ caller_name: 'Ann', caller_department: 'Sales/East' });
    // and the API/CLI view has them
    expect(env.services.cdrs.get('out')).toMatchObject({ callerDepartment: 'Sales/East', calleeName: 'Wang Wu', calleeKind: 'contact', calleeDepartment: null });
    expect(env.services.cdrs.list({ tenantId: t, limit: 1 }).items[0]).toHaveProperty('calleeKind');
  });

  it('fills them on the writer thread too', { timeout: 30_000 }, async () => {
    const writer = (await ThreadedCdrWriter.start({ dataDir: env.dir, logLevel: 'silent', intervalMs: 5 })).attach(bus);
    try {
      publishCall(bus, { callId: 'thr', tenantId: t, at: T0, direction: 'outbound', caller: { number: ann.number, extensionId: ann.id }, callee: { number: '13812345678' }, ...end });
      writer.flush();
      expect(record('thr')).toEqual({ caller_name: 'Ann', caller_department: 'Sales/East', callee_name: 'Wang Wu', callee_department: null, callee_kind: 'contact' });
    } finally {
      await writer.stop();
    }
  });
});
