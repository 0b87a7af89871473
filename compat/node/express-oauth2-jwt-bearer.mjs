// `express-oauth2-jwt-bearer`: an API validating Tessera's access tokens with Auth0's
// middleware, configured with the issuer and audience only, and checking scopes; and with DPoP
// required, a token Tessera bound to an openid-client's key (RFC 9449).

import assert from 'node:assert/strict';
import express from 'express';
import { AuthenticationClient } from 'auth0';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import * as client from 'openid-client';

import { API, DOMAIN, ISSUER, M2M, check } from './checks.mjs';

const BASE = 'http://127.0.0.1:3102';

function api() {
  const app = express();
  app.use(auth({ issuerBaseURL: ISSUER, audience: API }));
  app.get('/messages', requiredScopes('read:messages'), (req, res) => res.json({ sub: req.auth.payload.sub }));
  app.post('/messages', requiredScopes('write:messages'), (req, res) => res.json({ written: true }));
  return app;
}

check('express-oauth2-jwt-bearer auth() and requiredScopes()', async () => {
  const server = api().listen(3102, '127.0.0.1');
  try {
    const client = new AuthenticationClient({ domain: DOMAIN, clientId: M2M.id, clientSecret: M2M.secret });
    const { data } = await client.oauth.clientCredentialsGrant({ audience: API });
    const bearer = { authorization: `Bearer ${data.access_token}` };

    const allowed = await fetch(`${BASE}/messages`, { headers: bearer });
    assert.equal(allowed.status, 200);
    assert.equal((await allowed.json()).sub, `${M2M.id}@clients`);

    const none = await fetch(`${BASE}/messages`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') || '', /^Bearer/);

    const lacking = await fetch(`${BASE}/messages`, { method: 'POST', headers: bearer });
    assert.equal(lacking.status, 403);
    assert.match(lacking.headers.get('www-authenticate') || '', /insufficient_scope/);

    const [header, payload, signature] = data.access_token.split('.');
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    const tampered = await fetch(`${BASE}/messages`, { headers: { authorization: `Bearer ${header}.${payload}.${flipped}` } });
    assert.equal(tampered.status, 401);
    assert.match(tampered.headers.get('www-authenticate') || '', /invalid_token/);
  } finally {
    server.close();
  }
});

// Auth0's middleware with DPoP required, and a token Tessera bound to the client's key: the
// client is openid-client with a DPoP handle (client credentials, then the protected resource).
check('express-oauth2-jwt-bearer auth({dpop: {required}}) with a DPoP-bound token from openid-client', async () => {
  const app = express();
  app.use(auth({ issuerBaseURL: ISSUER, audience: API, dpop: { enabled: true, required: true } }));
  app.get('/messages', requiredScopes('read:messages'), (req, res) => res.json({ sub: req.auth.payload.sub }));
  const server = app.listen(3103, '127.0.0.1');
  try {
    const config = await client.discovery(new URL(ISSUER), M2M.id, M2M.secret);
    // The API listens on plain HTTP on loopback; Tessera itself is reached over TLS.
    client.allowInsecureRequests(config);
    const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    const tokens = await client.clientCredentialsGrant(config, { audience: API }, { DPoP });
    assert.equal(tokens.token_type.toLowerCase(), 'dpop');
    const url = new URL('http://127.0.0.1:3103/messages');
    const allowed = await client.fetchProtectedResource(config, tokens.access_token, url, 'GET', undefined, undefined, { DPoP });
    assert.equal(allowed.status, 200);
    assert.equal((await allowed.json()).sub, `${M2M.id}@clients`);
    // The same token as a Bearer token is refused (the middleware answers a Bearer request
    // 400 when DPoP is required).
    const asBearer = await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(asBearer.status, 400);
    assert.match(asBearer.headers.get('www-authenticate') || '', /^DPoP/);
  } finally {
    server.close();
  }
});
