// Auth0 Actions with node-auth0's ManagementClient.actions: a post-login Action (Auth0's
// documentation sample adding roles, plus this suite's claim) created, deployed and bound, then
// seen in the access token of a refresh of the express-openid-connect login (the refresh runs
// post-login again, as at Auth0), then unbound and deleted before the later checks run.

import assert from 'node:assert/strict';
import { AuthenticationClient, ManagementClient } from 'auth0';

import { DOMAIN, MANAGEMENT, WEB, check, claims, rejects, userTokens } from './checks.mjs';

const management = new ManagementClient({ domain: DOMAIN, clientId: MANAGEMENT.id, clientSecret: MANAGEMENT.secret });
const SDK_CLAIM = 'https://compat.example.com/sdk';
const ROLES_CLAIM = 'https://my-app.example.com/roles';
// Auth0's documentation sample "Add user roles to ID and access tokens", plus this suite's claim.
const CODE = `
exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://my-app.example.com';
  if (event.authorization) {
    api.idToken.setCustomClaim(\`\${namespace}/roles\`, event.authorization.roles);
    api.accessToken.setCustomClaim(\`\${namespace}/roles\`, event.authorization.roles);
  }
  api.accessToken.setCustomClaim('${SDK_CLAIM}', 'node');
};`;
const created = {};

check('auth0 ManagementClient.actions create/get/update/getAll/deploy/getVersions/getAllTriggers/updateTriggerBindings/getTriggerBindings', async () => {
  const name = `Add roles (node ${Date.now()})`;
  const { data: action } = await management.actions.create({
    name,
    supported_triggers: [{ id: 'post-login', version: 'v3' }],
    code: 'exports.onExecutePostLogin = async (event, api) => {};',
  });
  created.id = action.id;
  assert.equal(action.name, name);
  const { data: updated } = await management.actions.update({ id: action.id }, { code: CODE });
  assert.equal(updated.code, CODE);
  assert.equal((await management.actions.get({ id: action.id })).data.code, CODE);
  const { data: listed } = await management.actions.getAll({ triggerId: 'post-login', actionName: name });
  assert.deepEqual(listed.actions.map((a) => a.id), [action.id]);
  const { data: version } = await management.actions.deploy({ id: action.id });
  assert.equal(version.number, 1);
  const { data: versions } = await management.actions.getVersions({ actionId: action.id });
  assert.deepEqual(versions.versions.map((v) => v.number), [1]);
  const { data: triggers } = await management.actions.getAllTriggers();
  assert.ok(triggers.triggers.some((t) => t.id === 'post-login'), JSON.stringify(triggers));
  const { data: bound } = await management.actions.updateTriggerBindings(
    { triggerId: 'post-login' },
    { bindings: [{ ref: { type: 'action_name', value: name }, display_name: name }] },
  );
  assert.deepEqual(bound.bindings.map((b) => b.action.id), [action.id]);
  const { data: bindings } = await management.actions.getTriggerBindings({ triggerId: 'post-login' });
  assert.deepEqual(bindings.bindings.map((b) => b.action.name), [name]);
});

check('auth0 AuthenticationClient.oauth.refreshTokenGrant carries the post-login Action\'s claims', async () => {
  assert.ok(created.id, 'the Action was created and bound');
  assert.ok(userTokens.refresh_token, 'a refresh token from the express-openid-connect login');
  const auth = new AuthenticationClient({ domain: DOMAIN, clientId: WEB.id, clientSecret: WEB.secret });
  const { data } = await auth.oauth.refreshTokenGrant({ refresh_token: userTokens.refresh_token });
  if (data.refresh_token) userTokens.refresh_token = data.refresh_token;
  const access = claims(data.access_token);
  assert.equal(access[SDK_CLAIM], 'node', JSON.stringify(access));
  assert.deepEqual(access[ROLES_CLAIM], []);
});

check('auth0 ManagementClient.actions.get of an unknown id -> 404 inexistent_resource', async () => {
  await rejects(management.actions.get({ id: '00000000-0000-0000-0000-000000000000' }), {
    statusCode: 404,
    errorCode: 'inexistent_resource',
  });
});

check('auth0 ManagementClient.actions updateTriggerBindings([]) / delete({force}), then no claim', async () => {
  await management.actions.updateTriggerBindings({ triggerId: 'post-login' }, { bindings: [] });
  assert.deepEqual((await management.actions.getTriggerBindings({ triggerId: 'post-login' })).data.bindings, []);
  if (created.id) {
    await management.actions.delete({ id: created.id, force: true });
    await rejects(management.actions.get({ id: created.id }), { statusCode: 404, errorCode: 'inexistent_resource' });
    delete created.id;
  }
  assert.ok(userTokens.refresh_token);
  const auth = new AuthenticationClient({ domain: DOMAIN, clientId: WEB.id, clientSecret: WEB.secret });
  const { data } = await auth.oauth.refreshTokenGrant({ refresh_token: userTokens.refresh_token });
  if (data.refresh_token) userTokens.refresh_token = data.refresh_token;
  assert.equal(claims(data.access_token)[SDK_CLAIM], undefined, 'no Action runs any more');
});
