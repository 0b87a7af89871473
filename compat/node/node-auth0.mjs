// `auth0` (node-auth0): ManagementClient and AuthenticationClient, configured with a domain and
// client credentials only, as its README shows.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { AuthenticationClient, ManagementClient } from 'auth0';

import { API, DOMAIN, ISSUER, JANE, LEGACY, M2M, MANAGEMENT, WEB, check, claims, rejects } from './checks.mjs';

const management = new ManagementClient({ domain: DOMAIN, clientId: MANAGEMENT.id, clientSecret: MANAGEMENT.secret });

check('auth0 AuthenticationClient.oauth.clientCredentialsGrant', async () => {
  const auth = new AuthenticationClient({ domain: DOMAIN, clientId: M2M.id, clientSecret: M2M.secret });
  const { data } = await auth.oauth.clientCredentialsGrant({ audience: API });
  assert.equal(data.token_type, 'Bearer');
  const access = claims(data.access_token);
  assert.equal(access.iss, ISSUER);
  assert.equal(access.aud, API);
  assert.equal(access.scope, 'read:messages');
});

check('auth0 AuthenticationClient.oauth.clientCredentialsGrant with a wrong secret -> 401', async () => {
  const auth = new AuthenticationClient({ domain: DOMAIN, clientId: M2M.id, clientSecret: 'wrong-secret' });
  await rejects(auth.oauth.clientCredentialsGrant({ audience: API }), { statusCode: 401, error: 'invalid_client' });
});

check('auth0 AuthenticationClient.oauth.clientCredentialsGrant for an unknown API -> 403 access_denied', async () => {
  const auth = new AuthenticationClient({ domain: DOMAIN, clientId: M2M.id, clientSecret: M2M.secret });
  const error = await rejects(auth.oauth.clientCredentialsGrant({ audience: 'https://unknown.example/' }), {
    statusCode: 403,
    error: 'access_denied',
  });
  assert.equal(error.error_description, 'Service not found: https://unknown.example/');
});

check('auth0 AuthenticationClient.oauth.passwordGrant, with and without a realm', async () => {
  const auth = new AuthenticationClient({ domain: DOMAIN, clientId: LEGACY.id, clientSecret: LEGACY.secret });
  for (const realm of [undefined, 'Username-Password-Authentication']) {
    const { data } = await auth.oauth.passwordGrant({
      username: JANE.email,
      password: JANE.password,
      audience: API,
      scope: 'openid profile read:messages',
      ...(realm ? { realm } : {}),
    });
    assert.equal(data.token_type, 'Bearer');
    assert.equal(claims(data.id_token).name, JANE.name);
    assert.equal(claims(data.access_token).scope, 'openid profile read:messages');
  }
  await rejects(auth.oauth.passwordGrant({ username: JANE.email, password: 'wrong', audience: API }), {
    statusCode: 400,
    error: 'invalid_grant',
  });
});

check('auth0 ManagementClient.resourceServers create/get/update/getAll/delete', async () => {
  const identifier = `https://node.compat.example/${Date.now()}`;
  const { data: created } = await management.resourceServers.create({ identifier, name: 'Node API' });
  assert.match(created.id, /^[0-9a-f]{24}$/);
  assert.equal((await management.resourceServers.get({ id: created.id })).data.identifier, identifier);
  const { data: updated } = await management.resourceServers.update({ id: created.id }, { token_lifetime: 900 });
  assert.equal(updated.token_lifetime, 900);
  const { data: all } = await management.resourceServers.getAll();
  assert.ok(all.some((rs) => rs.id === created.id));
  await management.resourceServers.delete({ id: created.id });
  await rejects(management.resourceServers.get({ id: created.id }), { statusCode: 404, errorCode: 'inexistent_resource_server' });
});

check('auth0 ManagementClient.clients create/get/update/getAll/delete', async () => {
  const { data: created } = await management.clients.create({
    name: 'Created by node-auth0',
    app_type: 'spa',
    callbacks: ['https://spa.example.com/'],
    web_origins: ['https://spa.example.com'],
  });
  assert.equal(created.token_endpoint_auth_method, 'none');
  const { data: got } = await management.clients.get({ client_id: created.client_id });
  assert.deepEqual(got.web_origins, ['https://spa.example.com']);
  const { data: updated } = await management.clients.update({ client_id: created.client_id }, { name: 'Renamed' });
  assert.equal(updated.name, 'Renamed');
  const { data: all } = await management.clients.getAll({ per_page: 100 });
  assert.ok(all.some((c) => c.client_id === created.client_id));
  await management.clients.delete({ client_id: created.client_id });
  await rejects(management.clients.get({ client_id: created.client_id }), { statusCode: 404, errorCode: 'inexistent_client' });
});

check('auth0 ManagementClient.clients create with a client_secret, then clientCredentialsGrant', async () => {
  const secret = `kept-from-auth0-${randomBytes(16).toString('hex')}`;
  const { data: client } = await management.clients.create({
    name: 'Moved by node-auth0',
    app_type: 'non_interactive',
    client_secret: secret,
  });
  assert.equal(client.client_secret, undefined);
  await management.clientGrants.create({ client_id: client.client_id, audience: API, scope: ['read:messages'] });
  const auth = new AuthenticationClient({ domain: DOMAIN, clientId: client.client_id, clientSecret: secret });
  const { data } = await auth.oauth.clientCredentialsGrant({ audience: API });
  assert.equal(claims(data.access_token).sub, `${client.client_id}@clients`);
  await management.clients.delete({ client_id: client.client_id });
});

check('auth0 ManagementClient.users create/get/delete', async () => {
  const email = `node-${Date.now()}@example.com`;
  const { data: created } = await management.users.create({
    connection: 'Username-Password-Authentication',
    email,
    password: 'another long enough passphrase 7',
  });
  assert.match(created.user_id, /^auth0\|/);
  assert.equal((await management.users.get({ id: created.user_id })).data.email, email);
  await management.users.delete({ id: created.user_id });
  await rejects(management.users.get({ id: created.user_id }), { statusCode: 404, errorCode: 'inexistent_user' });
});

check('auth0 ManagementClient.users update (metadata) / getAll (q, v3) / usersByEmail.getByEmail', async () => {
  const tag = `${Date.now()}`;
  const email = `node-meta-${tag}@example.com`;
  const { data: created } = await management.users.create({
    connection: 'Username-Password-Authentication',
    email,
    password: 'another long enough passphrase 7',
    user_id: `node-${tag}`,
    app_metadata: { plan: `gold-${tag}` },
    user_metadata: { theme: 'dark' },
  });
  assert.equal(created.user_id, `auth0|node-${tag}`);
  const { data: updated } = await management.users.update(
    { id: created.user_id },
    { user_metadata: { theme: null, lang: 'fr' }, app_metadata: { roles: ['admin'] } },
  );
  assert.deepEqual(updated.user_metadata, { lang: 'fr' });
  assert.deepEqual(updated.app_metadata, { plan: `gold-${tag}`, roles: ['admin'] });
  const { data: found } = await management.users.getAll({ q: `app_metadata.plan:"gold-${tag}"`, search_engine: 'v3' });
  assert.deepEqual(found.map((u) => u.user_id), [created.user_id]);
  const { data: byEmail } = await management.usersByEmail.getByEmail({ email });
  assert.deepEqual(byEmail.map((u) => u.user_id), [created.user_id]);
  await management.users.delete({ id: created.user_id });
});

check('auth0 ManagementClient.roles create/get/update/getAll(name_filter)/addPermissions/getPermissions/assignUsers/getUsers/delete, users assignRoles/getRoles/deleteRoles/assignPermissions/getPermissions/deletePermissions', async () => {
  const tag = `${Date.now()}`;
  const identifier = `https://ledger.compat.example/${tag}`;
  const { data: api } = await management.resourceServers.create({
    identifier,
    name: 'Ledger',
    scopes: [
      { value: 'read:ledger', description: 'Read the ledger' },
      { value: 'post:ledger', description: 'Post entries' },
    ],
  });
  const read = { resource_server_identifier: identifier, permission_name: 'read:ledger' };
  const post = { resource_server_identifier: identifier, permission_name: 'post:ledger' };
  const { data: role } = await management.roles.create({ name: `Bookkeeper ${tag}`, description: 'Keeps the books' });
  assert.match(role.id, /^rol_[A-Za-z0-9]{16}$/);
  assert.deepEqual((await management.roles.get({ id: role.id })).data, role);
  const { data: updated } = await management.roles.update({ id: role.id }, { description: 'Posts entries' });
  assert.equal(updated.description, 'Posts entries');
  const { data: found } = await management.roles.getAll({ name_filter: `bookkeeper ${tag}` });
  assert.deepEqual(found.map((r) => r.id), [role.id]);

  await management.roles.addPermissions({ id: role.id }, { permissions: [read, post] });
  const { data: permissions } = await management.roles.getPermissions({ id: role.id });
  assert.deepEqual(permissions, [
    { ...post, resource_server_name: 'Ledger', description: 'Post entries' },
    { ...read, resource_server_name: 'Ledger', description: 'Read the ledger' },
  ]);
  await management.roles.deletePermissions({ id: role.id }, { permissions: [post] });
  const { data: user } = await management.users.create({
    connection: 'Username-Password-Authentication',
    email: `bookkeeper-${tag}@example.com`,
    password: 'another long enough passphrase 7',
  });
  await management.roles.assignUsers({ id: role.id }, { users: [user.user_id] });
  const { data: members } = await management.roles.getUsers({ id: role.id });
  assert.deepEqual(members.map((u) => u.user_id), [user.user_id]);
  await management.users.deleteRoles({ id: user.user_id }, { roles: [role.id] });
  assert.deepEqual((await management.users.getRoles({ id: user.user_id })).data, []);
  await management.users.assignRoles({ id: user.user_id }, { roles: [role.id] });
  const { data: roles } = await management.users.getRoles({ id: user.user_id, include_totals: true });
  assert.equal(roles.total, 1);
  assert.deepEqual(roles.roles.map((r) => r.id), [role.id]);

  await management.users.assignPermissions({ id: user.user_id }, { permissions: [read, post] });
  const { data: held } = await management.users.getPermissions({ id: user.user_id });
  assert.deepEqual(held.map((p) => [p.permission_name, p.sources.map((s) => s.source_type)]), [
    ['post:ledger', ['DIRECT']],
    ['read:ledger', ['DIRECT', 'ROLE']],
  ]);
  assert.equal(held[1].sources[1].source_id, role.id);
  await management.users.deletePermissions({ id: user.user_id }, { permissions: [read, post] });
  const { data: left } = await management.users.getPermissions({ id: user.user_id });
  assert.deepEqual(left.map((p) => p.sources), [[{ source_id: role.id, source_name: role.name, source_type: 'ROLE' }]]);

  await rejects(management.roles.assignUsers({ id: role.id }, { users: [] }), { statusCode: 400, errorCode: 'invalid_body' });
  await management.roles.delete({ id: role.id });
  await rejects(management.roles.get({ id: role.id }), { statusCode: 404, errorCode: 'inexistent_role' });
  assert.deepEqual((await management.users.getPermissions({ id: user.user_id })).data, []);
  await management.users.delete({ id: user.user_id });
  await management.resourceServers.delete({ id: api.id });
});

// The job once the server's job runner has finished it (at most ten seconds), completed.
export async function ended(job) {
  let status = job;
  for (let round = 0; round < 100 && !['completed', 'failed'].includes(status.status); round++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    ({ data: status } = await management.jobs.get({ id: job.id }));
  }
  assert.equal(status.status, 'completed');
  return status;
}

check('auth0 ManagementClient.connections.getAll / jobs.importUsers (file first) / jobs.get / jobs.getErrors', async () => {
  const { data: connections } = await management.connections.getAll({ strategy: 'auth0' });
  assert.equal(connections[0].name, 'Username-Password-Authentication');
  const tag = `${Date.now()}`;
  const users = [
    { email: `node-imported-${tag}@example.com`, user_id: `node-imported-${tag}`, given_name: 'Imported' },
    { email: `node-imported-${tag}@example.com`, user_id: `node-duplicate-${tag}` },
  ];
  const { data: job } = await management.jobs.importUsers({
    users: new Blob([JSON.stringify(users)], { type: 'application/json' }),
    connection_id: connections[0].id,
  });
  assert.equal(job.type, 'users_import');
  const status = await ended(job);
  assert.deepEqual(status.summary, { failed: 1, updated: 0, inserted: 1, total: 2 });
  const { data: errors } = await management.jobs.getErrors({ id: job.id });
  assert.equal(errors[0].errors[0].code, 'DUPLICATED_USER');
  const { data: imported } = await management.users.get({ id: `auth0|node-imported-${tag}` });
  assert.equal(imported.given_name, 'Imported');
  await management.users.delete({ id: imported.user_id });
});

check('auth0 ManagementClient.jobs.exportUsers / jobs.get, then fetch(location) and gunzip', async () => {
  const { data: job } = await management.jobs.exportUsers({ format: 'json', fields: [{ name: 'email' }] });
  assert.equal(job.type, 'users_export');
  const status = await ended(job);
  const download = await fetch(status.location);
  assert.equal(download.status, 200);
  const lines = gunzipSync(Buffer.from(await download.arrayBuffer())).toString().trim().split('\n');
  assert.ok(lines.some((line) => JSON.parse(line).email === 'jane@compat.example'), lines.join('\n'));
});

check('auth0 ManagementClient.clientGrants getAll', async () => {
  const { data: grants } = await management.clientGrants.getAll({ audience: API });
  assert.ok(grants.some((g) => g.client_id === M2M.id && g.scope.includes('read:messages')), JSON.stringify(grants));
});

check('auth0 ManagementClient.logs.getAll', async () => {
  // Events are stored shortly after they happen (as at Auth0): wait up to five seconds.
  let logs = [];
  for (const deadline = Date.now() + 5000; logs.length === 0 && Date.now() < deadline; ) {
    ({ data: logs } = await management.logs.getAll({ per_page: 20 }));
    if (logs.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.ok(logs.length > 0, 'the audit log has events');
  assert.ok(logs.every((event) => event.log_id && event.type && event.date));
});

check('auth0 ManagementClient.tickets.changePassword / tickets.verifyEmail / branding.updateSettings', async () => {
  const email = `node-ticket-${Date.now()}@example.com`;
  const connection = 'Username-Password-Authentication';
  const { data: user } = await management.users.create({ connection, email, password: 'Initial harbour passphrase 1' });
  const { data: reset } = await management.tickets.changePassword({ user_id: user.user_id, result_url: 'https://app.example.com/done' });
  const link = new URL(reset.ticket);
  assert.equal(link.pathname, '/u/reset-password');
  const page = await fetch(link);
  assert.equal(page.status, 200);
  const { data: verify } = await management.tickets.verifyEmail({ user_id: user.user_id });
  assert.equal((await fetch(verify.ticket)).status, 200);
  const { data: verified } = await management.users.get({ id: user.user_id });
  assert.equal(verified.email_verified, true);
  const { data: branding } = await management.branding.updateSettings({ colors: { page_background: '#101820' } });
  assert.equal(branding.colors.page_background, '#101820');
  await management.users.delete({ id: user.user_id });
});

// Auth0's GET /api/v2/emails/provider answers only `name` and `enabled` unless asked for more.
const PROVIDER_FIELDS = { fields: 'name,enabled,default_from_address,credentials,settings', include_fields: true };

// node-auth0 4.37.1's ManagementClient.emails has configure, get and update but no delete: the
// provider is removed by a plain DELETE with the management client's token.
async function deleteEmailProvider() {
  const auth = new AuthenticationClient({ domain: DOMAIN, clientId: MANAGEMENT.id, clientSecret: MANAGEMENT.secret });
  const { data } = await auth.oauth.clientCredentialsGrant({ audience: `${ISSUER}api/v2/` });
  const scopes = data.scope.split(' ');
  for (const scope of ['read', 'create', 'update', 'delete'].map((verb) => `${verb}:email_provider`)) {
    assert.ok(scopes.includes(scope), `the management client has ${scope}`);
  }
  const deleted = await fetch(`${ISSUER}api/v2/emails/provider`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${data.access_token}` },
  });
  assert.equal(deleted.status, 204, await deleted.text());
}

check('auth0 ManagementClient.emails configure/get/update (smtp_pass never shown; a second configure -> 409), then DELETE /api/v2/emails/provider -> get 404', async () => {
  // The python suite removed the provider it configured.
  await rejects(management.emails.get(PROVIDER_FIELDS), { statusCode: 404 });
  const smtp = { smtp_host: 'smtp.node.compat.example', smtp_port: 587, smtp_user: 'node-mailer', smtp_pass: 'node-smtp-pass-1' };
  const provider = { name: 'smtp', enabled: true, default_from_address: 'Node compat <no-reply@compat.example>', credentials: smtp };
  const { data: created } = await management.emails.configure(provider);
  // The provider exists only inside this try: no check queues a mail meanwhile.
  try {
    assert.equal(created.name, 'smtp');
    assert.equal(created.credentials.smtp_host, 'smtp.node.compat.example');
    assert.equal(created.credentials.smtp_pass, undefined);
    await rejects(management.emails.configure(provider), { statusCode: 409 });
    const { data: updated } = await management.emails.update({
      credentials: { ...smtp, smtp_host: 'mail.node.compat.example', smtp_port: 2525, smtp_pass: 'node-smtp-pass-2' },
      default_from_address: 'Node compat <mail@compat.example>',
    });
    assert.equal(updated.credentials.smtp_host, 'mail.node.compat.example');
    const { data: got } = await management.emails.get(PROVIDER_FIELDS);
    assert.deepEqual(got.credentials, { smtp_host: 'mail.node.compat.example', smtp_port: 2525, smtp_user: 'node-mailer' });
    assert.equal(got.default_from_address, 'Node compat <mail@compat.example>');
    assert.equal(got.enabled, true);
  } finally {
    await deleteEmailProvider();
  }
  await rejects(management.emails.get(PROVIDER_FIELDS), { statusCode: 404 });
});

const RESET_TEMPLATE = {
  template: 'reset_email',
  syntax: 'liquid',
  subject: 'Reset the password of {{ user.email }}',
  body: '<html><body><p>Hello {{ user.name | default: user.email }}</p><p><a href="{{ url }}">Choose a new password</a></p></body></html>',
  resultUrl: 'https://app.compat.example/reset-done',
  urlLifetimeInSeconds: 3600,
  enabled: true,
};

check('auth0 ManagementClient.emailTemplates create/get/update/put (reset_email; a second create -> 409)', async () => {
  // Templates cannot be deleted, and both suites run against one server: the python suite
  // customizes verify_email and this one reset_email, so that in a full run each create is a
  // first save. Should reset_email already be saved (another order of the suites, a server
  // kept between runs), the create's 409 is tolerated and the template updated instead.
  let saved;
  try {
    ({ data: saved } = await management.emailTemplates.create(RESET_TEMPLATE));
  } catch (error) {
    assert.equal(error.statusCode, 409, error.message);
    ({ data: saved } = await management.emailTemplates.update({ templateName: 'reset_email' }, RESET_TEMPLATE));
  }
  assert.equal(saved.template, 'reset_email');
  assert.equal(saved.subject, RESET_TEMPLATE.subject);
  await rejects(management.emailTemplates.create(RESET_TEMPLATE), { statusCode: 409 });
  const { data: got } = await management.emailTemplates.get({ templateName: 'reset_email' });
  for (const field of ['subject', 'body', 'resultUrl', 'urlLifetimeInSeconds', 'syntax', 'enabled']) {
    assert.deepEqual(got[field], RESET_TEMPLATE[field], field);
  }
  const { data: patched } = await management.emailTemplates.update({ templateName: 'reset_email' }, { urlLifetimeInSeconds: 7200 });
  assert.equal(patched.urlLifetimeInSeconds, 7200);
  assert.equal(patched.body, RESET_TEMPLATE.body);
  const subject = 'Your password at {{ application.name | default: friendly_name }}';
  const { data: replaced } = await management.emailTemplates.put({ templateName: 'reset_email' }, { ...RESET_TEMPLATE, subject });
  assert.equal(replaced.subject, subject);
  const { data: after } = await management.emailTemplates.get({ templateName: 'reset_email' });
  assert.equal(after.subject, subject);
  assert.equal(after.urlLifetimeInSeconds, RESET_TEMPLATE.urlLifetimeInSeconds);
});

check('auth0 ManagementClient.jobs.verifyEmail / jobs.get until completed', async () => {
  const { data: user } = await management.users.create({
    connection: 'Username-Password-Authentication',
    email: `node-verify-${Date.now()}@example.com`,
    password: 'another long enough passphrase 7',
  });
  try {
    const { data: job } = await management.jobs.verifyEmail({ user_id: user.user_id, client_id: WEB.id });
    assert.equal(job.type, 'verification_email');
    assert.match(job.id, /^job_[A-Za-z0-9]+$/);
    assert.ok(job.created_at);
    // Auth0 answers pending; the development outbox (no provider) may have settled it already.
    assert.ok(['pending', 'completed'].includes(job.status), job.status);
    const done = await ended(job);
    assert.equal(done.type, 'verification_email');
    assert.equal((await management.users.get({ id: user.user_id })).data.email_verified, false);
    await rejects(management.jobs.verifyEmail({ user_id: 'auth0|nobody-here' }), { statusCode: 404, errorCode: 'inexistent_user' });
  } finally {
    await management.users.delete({ id: user.user_id });
  }
});
