// `pbx dept`, `pbx employee`, `pbx contact`, `pbx ext --kind` / `ext devices` and the directory
// columns of `pbx cdr`, spawned as a user would on a temporary data directory; `ext devices`
// against a control socket served by this test (the running PBX), and without one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlSocketPath, createApiApp, serveControlSocket, type ControlSocket } from '../../src/api/index.ts';
import { CallEventBus } from '../../src/calls/call-events.ts';
import { CdrWriter } from '../../src/cdr/index.ts';
import { tempServices } from '../fixtures.ts';
import { publishCall } from '../cdr/cdr-fixtures.ts';

const PBX = fileURLToPath(new URL('../../bin/pbx', import.meta.url));
let env: ReturnType<typeof tempServices>;
let sock: ControlSocket | undefined;
let configPath: string;

/** Asynchronous: the control socket is served by this process, which must stay free to answer. */
function pbx(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PBX, [...args, '--config', configPath], { encoding: 'utf8', timeout: 60_000, cwd: env.dir, env: { ...process.env, PBX_CONFIG: '' } }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

async function fails(args: string[], message: string | RegExp): Promise<void> {
  const r = await pbx(...args);
  expect(r.status, args.join(' ')).toBe(1);
  expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
  expect(r.stderr.trim()).toMatch(typeof message === 'string' ? new RegExp(`^error: ${message.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`) : message);
}

beforeAll(() => {
  env = tempServices();
  configPath = join(env.dir, 'pbx.yaml');
  writeFileSync(configPath, `data_dir: ${JSON.stringify(env.dir)}\n`);
});
afterAll(async () => {
  await sock?.close();
  env.cleanup();
});

describe('bin/pbx dept, employee, contact', { timeout: 300_000 }, () => {
  it('dept add|list|show|rename|move|remove', async () => {
    expect((await pbx('dept', 'list')).stdout).toMatch(/has no departments/);
    expect((await pbx('dept', 'add', 'Sales')).stdout.trim()).toMatch(/^department Sales added \(id \d+\)$/);
    expect(JSON.parse((await pbx('dept', 'add', 'East', '--parent', 'Sales', '--json')).stdout)).toMatchObject({ path: 'Sales/East', depth: 1, createdAt: expect.stringMatching(/Z$/) });
    await pbx('dept', 'add', 'Admin');
    await pbx('dept', 'add', 'Shanghai', '-p', 'Sales/East');
    const list = await pbx('dept', 'list');
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+DEPARTMENT\s+PATH\s+EMPLOYEES\s+SUBS$/);
    const col = lines[0]!.indexOf('DEPARTMENT');
    expect(lines.slice(1).map((l) => l.slice(col).replace(/(\S)\s{2,}.*$/, '$1'))).toEqual(['Admin', 'Sales', '  East', '    Shanghai']);
    expect(list.stdout).toMatch(/^\d+\s+    Shanghai\s+Sales\/East\/Shanghai\s+0\s+0$/m);
    expect(JSON.parse((await pbx('dept', 'list', '--json')).stdout).items.map((d: { path: string }) => d.path)).toEqual(['Admin', 'Sales', 'Sales/East', 'Sales/East/Shanghai']);
    expect((await pbx('dept', 'show', 'Sales')).stdout).toMatch(/^sub-departments\s+1$/m);
    expect((await pbx('dept', 'rename', 'Sales/East/Shanghai', 'SH')).stdout.trim()).toBe('department renamed: Sales/East/SH');
    expect((await pbx('dept', 'move', 'Sales/East/SH', '/')).stdout.trim()).toBe('department moved: SH');
    expect((await pbx('dept', 'move', 'SH', 'Admin')).stdout.trim()).toBe('department moved: Admin/SH');
    await fails(['dept', 'move', 'Sales', 'Sales/East'], /^error: cannot move Sales under Sales\/East: that is one of its own sub-departments$/);
    await fails(['dept', 'add', 'Sales'], 'department Sales already exists');
    await fails(['dept', 'add', 'A/B'], /may not contain "\/"/);
    await fails(['dept', 'remove', 'Admin'], 'department Admin still has 1 sub-department; move or remove it first');
    expect((await pbx('dept', 'remove', 'Admin/SH')).stdout.trim()).toBe('department Admin/SH removed from tenant default');
    await fails(['dept', 'show', 'Nope'], 'department Nope does not exist');
    await fails(['dept', 'list', '--tenant', 'nope'], 'tenant nope does not exist');
  });

  it('employee add|list|show|set|deactivate|remove', async () => {
    const add = await pbx('employee', 'add', 'E001', 'Zhang San', '-d', 'Sales/East', '-m', '138 1234 5678', '--title', 'Rep');
    expect(add.stderr).toBe('');
    expect(add.stdout).toMatch(/^employee E001 \(Zhang San\) added to tenant default$/m);
    expect(add.stdout).toMatch(/^extension 800 given \(automatic numbering\)$/m);
    expect(add.stdout).toMatch(/^SIP password: [A-Za-z0-9]{16}  \(shown only now/m);
    const given = JSON.parse((await pbx('employee', 'add', 'E002', 'Li Si', '--extension', '2001', '--json')).stdout);
    expect(given).toMatchObject({ employeeNo: 'E002', extension: '2001', givenExtension: { number: '2001', how: 'given' } });
    expect((await pbx('employee', 'add', 'E003', 'Wang Wu', '--inactive', '-d', 'Admin')).stdout).not.toMatch(/extension/);

    const list = await pbx('employee', 'list');
    expect(list.stdout.split('\n')[0]).toMatch(/^EMPLOYEE ID\s+NAME\s+DEPARTMENT\s+EXTENSION\s+MOBILE\s+TITLE\s+ACTIVE$/);
    expect(list.stdout).toMatch(/^E001\s+Zhang San\s+Sales\/East\s+800\s+13812345678\s+Rep\s+yes$/m);
    expect(list.stdout).toMatch(/^E003\s+Wang Wu\s+Admin\s+-\s+-\s+-\s+no$/m);
    expect(JSON.parse((await pbx('employee', 'list', '--department', 'Sales', '--json')).stdout)).toMatchObject({ total: 1, items: [{ employeeNo: 'E001' }] });
    expect(JSON.parse((await pbx('employee', 'list', '--inactive', '--json')).stdout).items.map((e: { employeeNo: string }) => e.employeeNo)).toEqual(['E003']);
    expect((await pbx('employee', 'list', '--limit', '1')).stdout).toMatch(/^\(1-1 of 3; use --offset\/--limit\)$/m);
    expect((await pbx('employee', 'show', 'E001')).stdout).toMatch(/^department\s+Sales\/East$/m);

    const on = await pbx('employee', 'set', 'E003', '--active', '--title', 'Clerk');
    expect(on.stdout).toMatch(/^extension 801 given \(automatic numbering\)$/m);
    expect(on.stdout).toMatch(/^title\s+Clerk$/m);
    expect(JSON.parse((await pbx('employee', 'set', 'E003', '--extension', '1234', '--mobile', 'none', '--department', 'none', '--json')).stdout)).toMatchObject({ extension: '1234', mobile: null, department: null, givenExtension: null });
    expect((await pbx('employee', 'deactivate', 'E003')).stdout.trim()).toBe('employee E003 deactivated; extension 1234 kept');
    expect((await pbx('employee', 'remove', 'E002', '--keep-extension')).stdout.trim()).toBe('employee E002 removed from tenant default; extension 2001 kept as a function extension');
    expect((await pbx('employee', 'remove', 'E003')).stdout.trim()).toBe('employee E003 removed from tenant default; extension 1234 removed');

    await fails(['employee', 'add', 'E001', 'Again'], 'employee E001 already exists');
    await fails(['employee', 'add', 'E009', 'X', '-m', '01088886666'], /^error: mobile 01088886666 of employee E009 is not a mobile number/);
    await fails(['employee', 'add', 'E009', 'X', '--extension', '800'], 'extension 800 already exists');
    await fails(['employee', 'add', 'E009', 'X', '-d', 'Nowhere'], 'department Nowhere does not exist');
    await fails(['employee', 'show', 'E404'], 'employee E404 does not exist');
    await fails(['employee', 'list', '--active', '--inactive'], 'give --active or --inactive, not both');
  });

  it('contact add|list|search|show|set|remove and add --from-call', async () => {
    const add = await pbx('contact', 'add', '--name', 'Client One', '--number', '+86 139 0000 1111', '--number', '010-8888-6666', '--company', 'Client Co', '--owner', 'E001');
    expect(add.stdout.trim()).toMatch(/^contact (\d+) \(Client One, 13900001111, 01088886666\) added to tenant default$/);
    const id = /^contact (\d+)/.exec(add.stdout)![1]!;
    env.services.db.sqlite
      .prepare("INSERT INTO call (id, tenant_id, direction, caller_number, callee_number, started_at) VALUES ('call-in', ?, 'inbound', '+8613712345678', '+861088880000', 1)")
      .run(env.services.tenants.defaultTenant().id);
    const fromCall = JSON.parse((await pbx('contact', 'add', '--from-call', 'call-in', '--name', 'Caller Two', '--json')).stdout);
    expect(fromCall).toMatchObject({ name: 'Caller Two', numbers: ['13712345678'], owner: null });

    const list = await pbx('contact', 'list');
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+COMPANY\s+NUMBERS\s+ACCOUNT MANAGER$/);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+Client One\\s+Client Co\\s+13900001111, 01088886666\\s+E001 \\(Zhang San\\)$`, 'm'));
    expect(JSON.parse((await pbx('contact', 'list', '--owner', 'E001', '--json')).stdout)).toMatchObject({ total: 1 });
    expect((await pbx('contact', 'search', '139 0000')).stdout).toMatch(/Client One/);
    expect((await pbx('contact', 'search', 'Caller')).stdout).toMatch(/Caller Two/);
    expect((await pbx('contact', 'search', 'Nobody')).stdout.trim()).toBe('no contact matches "Nobody"');
    expect(JSON.parse((await pbx('contact', 'list', '--search', 'Cl', '--json')).stdout).items.map((c: { name: string }) => c.name)).toEqual(['Client One']);
    expect((await pbx('contact', 'show', id)).stdout).toMatch(/^account manager\s+E001 \(Zhang San\)$/m);
    const set = await pbx('contact', 'set', id, '--company', 'none', '--owner', 'none', '--number', '13900001111');
    expect(set.stdout).toMatch(/^numbers\s+13900001111$/m);
    expect(set.stdout).toMatch(/^company\s+-$/m);
    expect((await pbx('contact', 'remove', id)).stdout.trim()).toBe(`contact ${id} (Client One) removed from tenant default`);

    await fails(['contact', 'add', '--name', 'Dup', '--number', '13712345678'], /^error: 13712345678 is already a number of contact Caller Two \(id \d+\)$/);
    await fails(['contact', 'add', '--name', 'None'], 'a contact needs at least one number');
    await fails(['contact', 'add', '--name', 'X', '--number', '13700000000', '--owner', 'E404'], 'employee E404 does not exist');
    await fails(['contact', 'add', '--name', 'X', '--from-call', 'nope'], 'call nope does not exist');
    await fails(['contact', 'show', 'abc'], /^error: contact "abc": give its id/);
    await fails(['contact', 'show', '99999'], 'contact 99999 does not exist');
    const noName = await pbx('contact', 'add', '--number', '13700000000');
    expect(noName.status).toBe(1);
    expect(noName.stderr).toMatch(/required option '-n, --name <name>' not specified/);
  });

  it('ext --kind; ext show names the employee; ext devices from the running PBX and without it', async () => {
    expect((await pbx('ext', 'add', '600', '--kind', 'operator', '--name', 'Operator')).status).toBe(0);
    expect((await pbx('ext', 'list')).stdout).toMatch(/^600\s+operator\s+Operator\s+3/m);
    expect((await pbx('ext', 'list')).stdout).toMatch(/^2001\s+function\s+Li Si/m);
    expect((await pbx('ext', 'show', '800')).stdout).toMatch(/^employee\s+E001 \(Zhang San\)$/m);
    expect(JSON.parse((await pbx('ext', 'set', '600', '--kind', 'function', '--json')).stdout)).toMatchObject({ kind: 'function', employeeId: null });
    await fails(['ext', 'set', '800', '--kind', 'operator'], /its kind stays employee/);
    const bad = await pbx('ext', 'add', '601', '--kind', 'employee');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/must be one of operator, function/);

    const t = env.services.tenants.defaultTenant().id;
    env.services.terminals.addToExtension(t, '800', '13812345678');
    const ext = env.services.extensions.show(t, '800');
    const now = Date.now();
    const binding = { tenantId: t, extensionId: ext.id, user: '800', contact: 'sip:800@192.0.2.10:5060', callId: 'c1', cseq: 1, expiresAt: now + 600_000, registeredAt: now, source: { transport: 'udp' as const, address: '192.0.2.10', port: 5060 }, natted: false, userAgent: 'Yealink T46' };
    sock = await serveControlSocket(createApiApp({ services: env.services, location: { contactsOf: (id) => (id === ext.id ? [binding] : []) } }), controlSocketPath(env.dir));
    const live = await pbx('ext', 'devices', '800');
    expect(live.stderr).toBe('');
    expect(live.stdout).toMatch(/^KIND\s+TERMINAL\s+USER AGENT\s+FROM\s+EXPIRES$/m);
    expect(live.stdout).toMatch(/^sip\s+sip:800@192\.0\.2\.10:5060\s+Yealink T46\s+udp 192\.0\.2\.10:5060\s+20\d\d-/m);
    expect(live.stdout).toMatch(/^pstn\s+\+8613812345678\s+-\s+-\s+-$/m);
    expect(live.stdout).toMatch(/^extension 800: 2 of 3 terminals$/m);
    expect(JSON.parse((await pbx('ext', 'devices', '800', '--json')).stdout)).toMatchObject({ source: 'live', total: 2, extension: { number: '800', kind: 'employee' } });
    await fails(['ext', 'devices', '999'], 'extension 999 does not exist');
    await sock.close();
    sock = undefined;
    // not running: the stored registrations (none here), said so
    const stored = await pbx('ext', 'devices', '800');
    expect(stored.stdout).toMatch(/^extension 800: 1 of 3 terminals \(the PBX is not running: registrations as last stored\)$/m);
  });

  it('cdr list and show carry departments and the callee kind', async () => {
    const t = env.services.tenants.defaultTenant().id;
    const ann = env.services.extensions.show(t, '800');
    const bus = new CallEventBus();
    const writer = new CdrWriter(env.services.db).attach(bus);
    env.services.contacts.add(t, { name: 'Big Client', numbers: ['01055556666'] });
    publishCall(bus, { callId: 'call-out', tenantId: t, at: Date.UTC(2026, 2, 1, 8, 0, 0), direction: 'outbound', caller: { number: '800', extensionId: ann.id }, callee: { number: '01055556666' }, answerAfter: 1000, endAfter: 5000, disposition: 'answered', hangupBy: 'caller' });
    writer.stop();
    const list = await pbx('cdr', 'list');
    expect(list.stdout).toMatch(/call-out\s+default\s+outbound\s+800 \(Zhang San, Sales\/East\)\s+01055556666 \(Big Client\)\s+contact\s+0:05/);
    const show = await pbx('cdr', 'show', 'call-out');
    expect(show.stdout).toMatch(/^caller department\s+Sales\/East$/m);
    expect(show.stdout).toMatch(/^callee kind\s+contact$/m);
    expect(JSON.parse((await pbx('cdr', 'show', 'call-out', '--json')).stdout)).toMatchObject({ callerDepartment: 'Sales/East', calleeDepartment: null, calleeKind: 'contact', calleeName: 'Big Client' });
  });
});
