// MFA with node-auth0's ManagementClient: Guardian factors and policies switched on and off again
// (the later checks log jane in through the hosted pages without a second factor), then the
// authentication methods of users imported with an authenticator app's secret.

import assert from 'node:assert/strict';
import { ManagementClient } from 'auth0';

import { DOMAIN, MANAGEMENT, check, rejects } from './checks.mjs';
import { ended } from './node-auth0.mjs';

const management = new ManagementClient({ domain: DOMAIN, clientId: MANAGEMENT.id, clientSecret: MANAGEMENT.secret });
// Every factor Auth0 names, in its order.
const FACTORS = ['push-notification', 'sms', 'email', 'duo', 'otp', 'webauthn-roaming', 'webauthn-platform', 'recovery-code'];
// A base32 authenticator-app secret (160 bits), as Auth0's users import takes it in `mfa_factors`.
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

async function enabledFactors() {
  const { data: factors } = await management.guardian.getFactors();
  return factors.filter((factor) => factor.enabled).map((factor) => factor.name);
}

check('auth0 ManagementClient.guardian getFactors/updateFactor (otp and recovery-code on, then off; sms -> 400)/getPolicies/updatePolicies (all-applications, then [])', async () => {
  const { data: factors } = await management.guardian.getFactors();
  assert.deepEqual(factors, FACTORS.map((name) => ({ name, enabled: false, trial_expired: false })));
  assert.deepEqual((await management.guardian.getPolicies()).data, []);
  // MFA is on only inside this try: the later checks log jane in without a second factor.
  try {
    for (const name of ['otp', 'recovery-code']) {
      const { data: switched } = await management.guardian.updateFactor({ name }, { enabled: true });
      assert.deepEqual(switched, { enabled: true });
    }
    assert.deepEqual(await enabledFactors(), ['otp', 'recovery-code']);
    const refused = await rejects(management.guardian.updateFactor({ name: 'sms' }, { enabled: true }), {
      statusCode: 400,
      errorCode: 'invalid_body',
    });
    assert.match(refused.message, /sms/);
    assert.deepEqual(await enabledFactors(), ['otp', 'recovery-code'], 'a refused factor stays off');
    const { data: policies } = await management.guardian.updatePolicies(['all-applications']);
    assert.deepEqual(policies, ['all-applications']);
    assert.deepEqual((await management.guardian.getPolicies()).data, ['all-applications']);
  } finally {
    await management.guardian.updatePolicies([]);
    for (const name of ['otp', 'recovery-code']) {
      await management.guardian.updateFactor({ name }, { enabled: false });
    }
  }
  assert.deepEqual((await management.guardian.getPolicies()).data, []);
  assert.deepEqual(await enabledFactors(), []);
});

check('auth0 ManagementClient.jobs.importUsers (mfa_factors totp) / users getAuthenticationMethods (page, per_page, include_totals)/getAuthenticationMethod/deleteAuthenticationMethod/deleteAuthenticationMethods/deleteAllAuthenticators (an unknown method -> 404)', async () => {
  const { data: connections } = await management.connections.getAll({ strategy: 'auth0' });
  const tag = `${Date.now()}`;
  const names = ['one', 'all', 'reset'];
  const users = names.map((name) => ({
    email: `node-mfa-${name}-${tag}@example.com`,
    user_id: `node-mfa-${name}-${tag}`,
    mfa_factors: [{ totp: { secret: TOTP_SECRET } }],
  }));
  const { data: job } = await management.jobs.importUsers({
    users: new Blob([JSON.stringify(users)], { type: 'application/json' }),
    connection_id: connections[0].id,
  });
  const status = await ended(job);
  assert.deepEqual(status.summary, { failed: 0, updated: 0, inserted: 3, total: 3 });
  const [one, every, reset] = names.map((name) => `auth0|node-mfa-${name}-${tag}`);
  const methodsOf = async (id) => (await management.users.getAuthenticationMethods({ id })).data;
  try {
    for (const id of [one, every, reset]) {
      const methods = await methodsOf(id);
      assert.deepEqual(methods.map((m) => [m.type, m.confirmed]), [['totp', true]]);
      assert.match(methods[0].id, /^totp\|dev_/);
      assert.ok(methods[0].created_at);
      assert.equal(methods[0].secret, undefined, 'a secret is never shown');
    }
    const { data: page } = await management.users.getAuthenticationMethods({ id: one, page: 0, per_page: 1, include_totals: true });
    assert.deepEqual([page.start, page.limit, page.length, page.total], [0, 1, 1, 1]);
    const [method] = page.authenticators;
    assert.equal(method.type, 'totp');
    const { data: got } = await management.users.getAuthenticationMethod({ id: one, authentication_method_id: method.id });
    assert.deepEqual(got, method);
    const deleted = await management.users.deleteAuthenticationMethod({ id: one, authentication_method_id: method.id });
    assert.equal(deleted.status, 204);
    assert.deepEqual(await methodsOf(one), []);
    const unknown = { id: one, authentication_method_id: method.id };
    await rejects(management.users.getAuthenticationMethod(unknown), { statusCode: 404, errorCode: 'inexistent_resource' });
    await rejects(management.users.deleteAuthenticationMethod(unknown), { statusCode: 404, errorCode: 'inexistent_resource' });
    assert.equal((await management.users.deleteAuthenticationMethods({ id: every })).status, 204);
    assert.deepEqual(await methodsOf(every), []);
    assert.equal((await management.users.deleteAllAuthenticators({ id: reset })).status, 204);
    assert.deepEqual(await methodsOf(reset), []);
  } finally {
    for (const id of [one, every, reset]) await management.users.delete({ id });
  }
});
