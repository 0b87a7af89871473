// openid-client (panva's certified relying-party library, the one express-openid-connect is
// built on) for what Auth0's Node and Python SDKs do not call: a pushed authorization request
// (RFC 9126) with PKCE — discovery, the push, the login in Chromium, the code exchange with its
// RFC 9207 check —, the device flow (RFC 8628) of a TV app, activated in Chromium, and DPoP
// (RFC 9449): bound tokens, /userinfo and the refresh token grant with proofs.

import assert from 'node:assert/strict';
import * as client from 'openid-client';

import { launch } from './browser.mjs';
import { API, ISSUER, JANE, WEB, check, claims, logInOnTessera } from './checks.mjs';

const CALLBACK = 'http://127.0.0.1:3100/callback';

check('openid-client buildAuthorizationUrlWithPAR, then authorizationCodeGrant', async () => {
  const config = await client.discovery(new URL(ISSUER), WEB.id, WEB.secret);
  assert.equal(config.serverMetadata().pushed_authorization_request_endpoint, `${ISSUER}oauth/par`);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: CALLBACK,
    scope: 'openid profile read:messages',
    audience: API,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  // Only the reference travels through the browser.
  assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);

  const { browser, context } = await launch();
  try {
    const page = await context.newPage();
    let callback;
    await page.route(`${CALLBACK}**`, (route) => {
      callback = route.request().url();
      return route.fulfill({ status: 200, body: 'signed in' });
    });
    await page.goto(url.href);
    await logInOnTessera(page);
    await page.waitForURL((current) => current.href.startsWith(CALLBACK));
    const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.equal(tokens.claims().name, JANE.name);
    assert.equal(claims(tokens.access_token).scope, 'openid profile read:messages');

    // The reference worked once: the same URL again is an error page, not a second flow.
    const again = await page.goto(url.href);
    assert.equal(again.status(), 400);
  } finally {
    await browser.close();
  }
});

check('openid-client initiateDeviceAuthorization, then pollDeviceAuthorizationGrant', async () => {
  const config = await client.discovery(new URL(ISSUER), 'compat-tv', undefined, client.None());
  const device = await client.initiateDeviceAuthorization(config, {
    scope: 'openid profile offline_access read:messages',
    audience: API,
  });
  assert.match(device.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  assert.equal(device.verification_uri, `${ISSUER}activate`);

  const { browser, context } = await launch();
  try {
    const page = await context.newPage();
    await page.goto(device.verification_uri_complete);
    await logInOnTessera(page);
    await page.waitForURL((current) => current.href.startsWith(`${ISSUER}activate/done`));
    assert.match(await page.textContent('h1'), /connected/);
  } finally {
    await browser.close();
  }
  const tokens = await client.pollDeviceAuthorizationGrant(config, device);
  assert.equal(tokens.claims().name, JANE.name);
  assert.ok(tokens.refresh_token, 'offline_access was asked');
  assert.equal(claims(tokens.access_token).scope, 'openid profile offline_access read:messages');
});

check('openid-client with a DPoP handle: bound tokens, userinfo and refresh with proofs', async () => {
  const config = await client.discovery(new URL(ISSUER), WEB.id, WEB.secret);
  assert.deepEqual(config.serverMetadata().dpop_signing_alg_values_supported, ['RS256', 'PS256', 'ES256', 'EdDSA']);
  const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope: 'openid profile offline_access read:messages',
    audience: API,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });

  const { browser, context } = await launch();
  let callback;
  try {
    const page = await context.newPage();
    await page.route(`${CALLBACK}**`, (route) => {
      callback = route.request().url();
      return route.fulfill({ status: 200, body: 'signed in' });
    });
    await page.goto(url.href);
    await logInOnTessera(page);
    await page.waitForURL((current) => current.href.startsWith(CALLBACK));
  } finally {
    await browser.close();
  }
  const tokens = await client.authorizationCodeGrant(
    config,
    new URL(callback),
    { pkceCodeVerifier: verifier, expectedState: state },
    undefined,
    { DPoP },
  );
  assert.equal(tokens.token_type.toLowerCase(), 'dpop');
  const bound = claims(tokens.access_token).cnf?.jkt;
  assert.ok(bound, 'the access token names the key it is bound to');

  const sub = tokens.claims().sub;
  const profile = await client.fetchUserInfo(config, tokens.access_token, sub, { DPoP });
  assert.equal(profile.name, JANE.name);
  // Without the proof, the same token is refused.
  await assert.rejects(client.fetchUserInfo(config, tokens.access_token, sub));

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP });
  assert.equal(refreshed.token_type.toLowerCase(), 'dpop');
  assert.equal(claims(refreshed.access_token).cnf?.jkt, bound);
});
