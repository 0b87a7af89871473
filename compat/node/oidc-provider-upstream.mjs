// An `oidc` connection to another vendor's provider: node `oidc-provider` (OpenID certified),
// run here on loopback with its development login and consent pages. Ada logs in there through
// the connection in Chromium, and comes back to the application as `oidc|node-op|ada`.

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

check('Chromium logs ada in through an oidc connection to node oidc-provider', async () => {
  const server = await startProvider();
  const { browser, context } = await launch();
  try {
    const { data: connection } = await management.connections.create({
      name: NAME,
      strategy: 'oidc',
      options: { client_id: CLIENT.id, client_secret: CLIENT.secret, issuer: UPSTREAM, scope: 'openid profile email' },
      enabled_clients: [WEB.id],
    });
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
      state: 'compat-node-op',
      connection: NAME,
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
    assert.equal(callback.searchParams.get('state'), 'compat-node-op');
    assert.ok(callback.searchParams.get('code'));
    const { data: ada } = await management.users.get({ id: `oidc|${NAME}|ada` });
    assert.equal(ada.email, 'ada@upstream.example');
    assert.equal(ada.email_verified, true);
    assert.equal(ada.given_name, 'Ada');
    await management.connections.delete({ id: connection.id });
  } finally {
    await browser.close();
    server.close();
  }
});
