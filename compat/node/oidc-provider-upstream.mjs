// Connections to another vendor's provider: node `oidc-provider` (OpenID certified), run here
// on loopback with its development login and consent pages. Ada logs in there through an `oidc`
// connection in Chromium, and comes back to the application as `oidc|node-op|ada`; then through
// an `oauth2` connection that treats the same server as a plain OAuth 2.0 provider (its
// authorization and token endpoints, and its userinfo as the profile URL), coming back as
// `oauth2|node-oauth2|ada`.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ManagementClient } from 'auth0';
import Provider from 'oidc-provider';

import { launch } from './browser.mjs';
import { API, DOMAIN, ISSUER, MANAGEMENT, WEB, check } from './checks.mjs';

const management = new ManagementClient({ domain: DOMAIN, clientId: MANAGEMENT.id, clientSecret: MANAGEMENT.secret });
const PORT = Number(process.env.COMPAT_UPSTREAM_PORT || 3990);
const UPSTREAM = `http://127.0.0.1:${PORT}`;
const CLIENT = { id: 'tessera-compat', secret: randomBytes(24).toString('base64url') };
const NAME = 'node-op';
const CALLBACK = 'http://127.0.0.1:3100/callback';

function startProvider() {
  const provider = new Provider(UPSTREAM, {
    clients: [{
      client_id: CLIENT.id,
      client_secret: CLIENT.secret,
      redirect_uris: [`${ISSUER}login/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    claims: { email: ['email', 'email_verified'], profile: ['name', 'given_name'] },
    // The profile in the ID token itself, which is what Tessera reads.
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount: async (ctx, id) => ({
      accountId: id,
      claims: async () => ({
        sub: id,
        email: `${id}@upstream.example`,
        email_verified: true,
        name: 'Ada Upstream',
        given_name: 'Ada',
      }),
    }),
  });
  return new Promise((resolve) => {
    const server = provider.listen(PORT, '127.0.0.1', () => resolve(server));
  });
}

/// Logs ada in at oidc-provider through the connection `name`, in Chromium; the URL the
/// browser reached the application with.
async function logInThrough(name, state) {
  const { browser, context } = await launch();
  try {
    const page = await context.newPage();
    // Nothing listens at the application's callback: the request for it is the answer.
    let callback;
    page.on('request', (request) => {
      if (request.url().startsWith(CALLBACK)) callback = new URL(request.url());
    });
    const authorize = new URL(`${ISSUER}authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: WEB.id,
      redirect_uri: CALLBACK,
      scope: 'openid profile email',
      audience: API,
      state,
      connection: name,
    }).toString();
    await page.goto(authorize.href);
    // oidc-provider's development login (any name) and consent pages, then Tessera's consent.
    const visited = [];
    for (let step = 0; step < 10 && !callback; step += 1) {
      await page.waitForLoadState('domcontentloaded');
      const url = page.url();
      visited.push(url);
      if (url.startsWith(`${UPSTREAM}/interaction/`)) {
        if (await page.locator('input[name=login]').count()) {
          await page.fill('input[name=login]', 'ada');
          await page.fill('input[name=password]', 'any');
        }
        await Promise.all([page.waitForURL((next) => next.href !== url), page.click('button[type=submit]')]);
      } else if (url.startsWith(`${ISSUER}u/consent`)) {
        const answered = page.waitForRequest((request) => request.url().startsWith(CALLBACK));
        await Promise.all([answered, page.click('button[name=decision][value=allow]')]);
      } else {
        // A redirect on the way (oidc-provider's resume, Tessera's /login/callback).
        await page.waitForURL((next) => next.href !== url, { timeout: 10000 });
      }
    }
    assert.ok(callback, `the browser reached the application (pages: ${visited.join(' → ')})`);
    assert.equal(callback.searchParams.get('state'), state);
    assert.ok(callback.searchParams.get('code'));
    return callback;
  } finally {
    await browser.close();
  }
}

check('Chromium logs ada in through an oidc connection to node oidc-provider', async () => {
  const server = await startProvider();
  try {
    const { data: connection } = await management.connections.create({
      name: NAME,
      strategy: 'oidc',
      options: { client_id: CLIENT.id, client_secret: CLIENT.secret, issuer: UPSTREAM, scope: 'openid profile email' },
      enabled_clients: [WEB.id],
    });
    await logInThrough(NAME, 'compat-node-op');
    const { data: ada } = await management.users.get({ id: `oidc|${NAME}|ada` });
    assert.equal(ada.email, 'ada@upstream.example');
    assert.equal(ada.email_verified, true);
    assert.equal(ada.given_name, 'Ada');
    await management.connections.delete({ id: connection.id });
  } finally {
    server.close();
  }
});

check('Chromium logs ada in through an oauth2 connection to node oidc-provider as a plain OAuth 2.0 server', async () => {
  const server = await startProvider();
  try {
    const name = 'node-oauth2';
    const { data: connection } = await management.connections.create({
      name,
      strategy: 'oauth2',
      options: {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        authorizationURL: `${UPSTREAM}/auth`,
        tokenURL: `${UPSTREAM}/token`,
        profileURL: `${UPSTREAM}/me`,
        scope: 'openid email profile',
        pkce_enabled: true,
        fieldsMap: { nickname: 'given_name' },
      },
      enabled_clients: [WEB.id],
    });
    assert.equal(connection.options.client_secret, undefined, 'the secret is never shown');
    await logInThrough(name, 'compat-node-oauth2');
    const { data: ada } = await management.users.get({ id: `oauth2|${name}|ada` });
    assert.equal(ada.email, 'ada@upstream.example');
    assert.equal(ada.nickname, 'Ada', 'fieldsMap maps given_name to nickname');
    assert.deepEqual(ada.identities, [{ connection: name, provider: 'oauth2', user_id: `${name}|ada`, isSocial: true }]);
    await management.connections.delete({ id: connection.id });
  } finally {
    server.close();
  }
});
