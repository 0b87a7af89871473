// `express-openid-connect`: the regular web app of Auth0's Express quickstart, logging jane in
// through Chromium; `req.oidc.user`, `req.oidc.accessToken.refresh()` and logout.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import express from 'express';
import expressOpenidConnect from 'express-openid-connect';

import { launch } from './browser.mjs';
import { API, ISSUER, JANE, WEB, check, claims, logInOnTessera, userTokens } from './checks.mjs';

const { auth, requiresAuth } = expressOpenidConnect;
const BASE = 'http://127.0.0.1:3101';

function app() {
  const web = express();
  web.use(
    auth({
      issuerBaseURL: ISSUER,
      baseURL: BASE,
      clientID: WEB.id,
      clientSecret: WEB.secret,
      secret: crypto.randomBytes(32).toString('hex'),
      authRequired: false,
      idpLogout: true,
      routes: { postLogoutRedirect: '/' },
      authorizationParams: {
        response_type: 'code',
        audience: API,
        scope: 'openid profile email offline_access read:messages',
      },
    }),
  );
  web.get('/', (req, res) => res.send(req.oidc.isAuthenticated() ? 'Logged in' : 'Logged out'));
  web.get('/profile', requiresAuth(), (req, res) => res.json(req.oidc.user));
  web.get('/tokens', requiresAuth(), (req, res) =>
    res.json({ access_token: req.oidc.accessToken.access_token, refresh_token: req.oidc.refreshToken }),
  );
  web.get('/refresh', requiresAuth(), async (req, res) => {
    const before = req.oidc.accessToken.access_token;
    const refreshed = await req.oidc.accessToken.refresh();
    res.json({ before, after: refreshed.access_token });
  });
  return web;
}

check('express-openid-connect auth() login, req.oidc.user, accessToken.refresh(), logout', async () => {
  const server = app().listen(3101, '127.0.0.1');
  const { browser, context } = await launch();
  try {
    const page = await context.newPage();
    await page.goto(`${BASE}/login`);
    await logInOnTessera(page);
    await page.waitForURL(`${BASE}/`);
    assert.equal(await page.textContent('body'), 'Logged in');

    await page.goto(`${BASE}/profile`);
    const user = JSON.parse(await page.textContent('body'));
    assert.equal(user.name, JANE.name);
    assert.equal(user.email, JANE.email);

    await page.goto(`${BASE}/tokens`);
    const tokens = JSON.parse(await page.textContent('body'));
    const audience = [].concat(claims(tokens.access_token).aud);
    assert.ok(audience.includes(API), `aud ${audience}`);
    assert.ok(tokens.refresh_token, 'offline_access gave a refresh token');

    await page.goto(`${BASE}/refresh`);
    const refreshed = JSON.parse(await page.textContent('body'));
    assert.notEqual(refreshed.after, refreshed.before);
    assert.equal(claims(refreshed.after).sub, user.sub);

    await page.goto(`${BASE}/tokens`);
    Object.assign(userTokens, JSON.parse(await page.textContent('body')));

    await page.goto(`${BASE}/logout`);
    await page.waitForURL(`${BASE}/`);
    assert.equal(await page.textContent('body'), 'Logged out');
    // Tessera's session ended too: logging in again asks for the password.
    await page.goto(`${BASE}/login`);
    await page.waitForURL((url) => url.href.startsWith(`${ISSUER}u/login`));
  } finally {
    await browser.close();
    server.close();
  }
});
