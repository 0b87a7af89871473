// `auth0` (node-auth0): ManagementClient.connections for an OpenID connection, and users.link /
// users.unlink. The connection's provider is this very Tessera (its discovery document and an
// application of its own, made through clients.create): jane logs in through the connection in
// Chromium, which makes the user `oidc|compat-self|{her id}`, then that user is linked to a
// database user and unlinked again.

import assert from 'node:assert/strict';
import { ManagementClient } from 'auth0';

import { launch } from './browser.mjs';
import { API, DOMAIN, ISSUER, JANE, MANAGEMENT, WEB, check, logInOnTessera } from './checks.mjs';

const management = new ManagementClient({ domain: DOMAIN, clientId: MANAGEMENT.id, clientSecret: MANAGEMENT.secret });
const NAME = 'compat-self';
const CALLBACK = 'http://127.0.0.1:3100/callback';
const made = {};

check('auth0 ManagementClient.connections create (strategy oidc)/get/getAll/update/updateEnabledClients/getEnabledClients', async () => {
  const { data: upstream } = await management.clients.create({
    name: 'Compat upstream of compat-self',
    app_type: 'regular_web',
    callbacks: [`${ISSUER}login/callback`],
    grant_types: ['authorization_code'],
  });
  made.upstream = upstream.client_id;
  const { data: connection } = await management.connections.create({
    name: NAME,
    strategy: 'oidc',
    display_name: 'Compat SSO',
    options: {
      client_id: upstream.client_id,
      client_secret: upstream.client_secret,
      discovery_url: `${ISSUER}.well-known/openid-configuration`,
      scope: 'openid profile email',
      type: 'back_channel',
    },
  });
  made.connection = connection.id;
  assert.match(connection.id, /^con_/);
  assert.equal(connection.strategy, 'oidc');
  assert.equal(connection.options.client_secret, undefined, 'the secret is never shown');
  assert.deepEqual(connection.enabled_clients, []);
  const { data: got } = await management.connections.get({ id: connection.id });
  assert.equal(got.display_name, 'Compat SSO');
  const { data: oidc } = await management.connections.getAll({ strategy: 'oidc' });
  assert.deepEqual(oidc.map((c) => c.name), [NAME]);
  const { data: renamed } = await management.connections.update({ id: connection.id }, { display_name: 'Compat single sign-on' });
  assert.equal(renamed.display_name, 'Compat single sign-on');
  await management.connections.updateEnabledClients({ id: connection.id }, [{ client_id: WEB.id, status: true }]);
  const { data: enabled } = await management.connections.getEnabledClients({ id: connection.id });
  assert.deepEqual(enabled.clients, [{ client_id: WEB.id }]);
});

check('Chromium logs jane in through the oidc connection (authorize with connection=)', async () => {
  const { browser, context } = await launch();
  try {
    const page = await context.newPage();
    let callback;
    await page.route(`${CALLBACK}**`, (route) => {
      callback = new URL(route.request().url());
      route.fulfill({ status: 200, body: 'back at the app' });
    });
    const authorize = new URL(`${ISSUER}authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: WEB.id,
      redirect_uri: CALLBACK,
      scope: 'openid profile email',
      audience: API,
      state: 'compat-connection',
      connection: NAME,
    }).toString();
    await page.goto(authorize.href);
    // The provider (this Tessera, through another application) asks jane to log in.
    await logInOnTessera(page);
    // Back at the application's side, a consent for the new user, then the app's callback.
    await page.waitForURL((url) => url.href.startsWith(CALLBACK) || url.href.startsWith(`${ISSUER}u/consent`));
    if (page.url().startsWith(`${ISSUER}u/consent`)) {
      await page.click('button[name=decision][value=allow]');
      await page.waitForURL((url) => url.href.startsWith(CALLBACK));
    }
    assert.ok(callback, 'the browser reached the application');
    assert.equal(callback.searchParams.get('state'), 'compat-connection');
    assert.ok(callback.searchParams.get('code'));
  } finally {
    await browser.close();
  }
  const { data: [jane] } = await management.users.getAll({ q: `username:${JANE.username}` });
  made.federated = `oidc|${NAME}|${jane.user_id}`;
  const { data: federated } = await management.users.get({ id: made.federated });
  assert.equal(federated.email, JANE.email);
  assert.deepEqual(federated.identities, [
    { connection: NAME, provider: 'oidc', user_id: `${NAME}|${jane.user_id}`, isSocial: false },
  ]);
});

check('auth0 ManagementClient.users.link / users.unlink', async () => {
  const { data: primary } = await management.users.create({
    connection: 'Username-Password-Authentication',
    email: `linked-${Date.now()}@compat.example`,
    password: 'Linked harbour passphrase 7',
  });
  const secondary = made.federated.slice('oidc|'.length);
  const { data: linked } = await management.users.link({ id: primary.user_id }, { provider: 'oidc', user_id: secondary });
  assert.deepEqual(linked.map((i) => i.provider), ['auth0', 'oidc']);
  assert.equal(linked[1].user_id, secondary);
  assert.equal(linked[1].profileData.email, JANE.email);
  const { data: shown } = await management.users.get({ id: primary.user_id });
  assert.equal(shown.identities.length, 2);
  const { data: remaining } = await management.users.unlink({ id: primary.user_id, provider: 'oidc', user_id: secondary });
  assert.deepEqual(remaining.map((i) => i.provider), ['auth0']);
  const { data: again } = await management.users.get({ id: made.federated });
  assert.equal(again.email, JANE.email);
  await management.users.delete({ id: primary.user_id });
});

check('auth0 ManagementClient.connections.create (strategies github and google-oauth2): authorize with connection= goes to GitHub', async () => {
  const { data: github } = await management.connections.create({
    name: 'github',
    strategy: 'github',
    options: { client_id: 'Iv1.compat', client_secret: 'compat-github-secret', email: true, read_user: true },
    enabled_clients: [WEB.id],
  });
  assert.equal(github.strategy, 'github');
  assert.equal(github.options.client_secret, undefined, 'the secret is never shown');
  const { data: google } = await management.connections.create({
    name: 'google-oauth2',
    strategy: 'google-oauth2',
    options: { client_id: 'compat.apps.googleusercontent.com', client_secret: 'compat-google-secret', scope: ['email', 'profile'] },
  });
  assert.equal(google.strategy, 'google-oauth2');
  const authorize = new URL(`${ISSUER}authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code', client_id: WEB.id, redirect_uri: CALLBACK, scope: 'openid', state: 'to-github', connection: 'github',
  }).toString();
  const response = await fetch(authorize, { redirect: 'manual' });
  assert.equal(response.status, 302);
  const toGitHub = new URL(response.headers.get('location'));
  assert.equal(`${toGitHub.origin}${toGitHub.pathname}`, 'https://github.com/login/oauth/authorize');
  assert.equal(toGitHub.searchParams.get('client_id'), 'Iv1.compat');
  assert.equal(toGitHub.searchParams.get('scope'), 'user:email read:user');
  assert.equal(toGitHub.searchParams.get('redirect_uri'), `${ISSUER}login/callback`);
  await management.connections.delete({ id: github.id });
  await management.connections.delete({ id: google.id });
});

check('auth0 ManagementClient.connections.delete (with its users)', async () => {
  await management.connections.delete({ id: made.connection });
  await management.clients.delete({ client_id: made.upstream });
  const { data: left } = await management.connections.getAll({ strategy: 'oidc' });
  assert.deepEqual(left, []);
  try {
    await management.users.get({ id: made.federated });
    assert.fail('the connection\'s user is deleted with it');
  } catch (error) {
    assert.equal(error.statusCode, 404);
  }
});
