// `@auth0/auth0-spa-js` in Chromium: a single-page app served over https at the SPA client's
// origin, loading the SDK's browser bundle, configured with the domain, client id and audience.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { launch } from './browser.mjs';
import { API, DOMAIN, ISSUER, JANE, SPA, check, claims, logInOnTessera } from './checks.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BUNDLE = path.join(HERE, 'node_modules/@auth0/auth0-spa-js/dist/auth0-spa-js.production.js');

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Compat SPA</title>
<script src="/auth0-spa-js.production.js"></script>
<script>
  // As the SDK's README shows: domain, client id, redirect URI and audience.
  window.makeClient = (extra) => auth0.createAuth0Client({
    domain: ${JSON.stringify(DOMAIN)},
    clientId: ${JSON.stringify(SPA.id)},
    authorizationParams: { redirect_uri: ${JSON.stringify(SPA.callback)}, audience: ${JSON.stringify(API)} },
    ...extra,
  });
</script></head><body>SPA</body></html>`;

function serve() {
  return https
    .createServer({ cert: fs.readFileSync(process.env.COMPAT_CERT), key: fs.readFileSync(process.env.COMPAT_KEY) }, (req, res) => {
      if (req.url === '/auth0-spa-js.production.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(fs.readFileSync(BUNDLE));
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(PAGE);
      }
    })
    .listen(3444, '127.0.0.1');
}

check('auth0-spa-js loginWithRedirect, handleRedirectCallback, getUser, getTokenSilently (refresh tokens and iframe), checkSession, logout', async () => {
  const server = serve();
  const { browser, context } = await launch();
  try {
    const page = await context.newPage();
    await page.goto(SPA.callback);
    await page.evaluate(async () => {
      const client = await window.makeClient({ useRefreshTokens: true, cacheLocation: 'localstorage' });
      await client.loginWithRedirect();
    });
    await logInOnTessera(page);
    await page.waitForURL((url) => url.href.startsWith(SPA.callback) && url.searchParams.has('code'));

    const signedIn = await page.evaluate(async () => {
      const client = await window.makeClient({ useRefreshTokens: true, cacheLocation: 'localstorage' });
      await client.handleRedirectCallback();
      const first = await client.getTokenSilently();
      const refreshed = await client.getTokenSilently({ cacheMode: 'off' });
      return { user: await client.getUser(), first, refreshed };
    });
    assert.equal(signedIn.user.name, JANE.name);
    assert.equal(signedIn.user.email, JANE.email);
    assert.notEqual(signedIn.refreshed, signedIn.first, 'a new access token by the refresh token grant');
    assert.equal(claims(signedIn.refreshed).iss, ISSUER);
    assert.ok([].concat(claims(signedIn.refreshed).aud).includes(API));

    // The default: no refresh tokens, silent authentication in a hidden iframe
    // (prompt=none, response_mode=web_message) on Tessera's session.
    const silent = await page.evaluate(async () => {
      const client = await window.makeClient({});
      const token = await client.getTokenSilently({ cacheMode: 'off' });
      return { token, user: await client.getUser() };
    });
    assert.equal(silent.user.email, JANE.email);
    assert.equal(claims(silent.token).sub, signedIn.user.sub);

    // After a reload, checkSession finds the session again.
    await page.reload();
    const afterReload = await page.evaluate(async () => {
      const client = await window.makeClient({});
      await client.checkSession();
      return client.isAuthenticated();
    });
    assert.equal(afterReload, true, 'checkSession after a reload');

    await page.evaluate(async (returnTo) => {
      const client = await window.makeClient({});
      await client.logout({ logoutParams: { returnTo } });
    }, SPA.callback);
    await page.waitForURL(SPA.callback);
    const afterLogout = await page.evaluate(async () => {
      const client = await window.makeClient({});
      await client.checkSession();
      return client.isAuthenticated();
    });
    assert.equal(afterLogout, false, 'logged out at Tessera too');
  } finally {
    await browser.close();
    server.close();
  }
});
