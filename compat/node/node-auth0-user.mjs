// `auth0` (node-auth0) with a user's tokens: refresh, userinfo and revocation, after the
// express-openid-connect checks logged jane in (they leave her refresh token in `userTokens`).

import assert from 'node:assert/strict';
import { AuthenticationClient, UserInfoClient } from 'auth0';

import { DOMAIN, WEB, check, rejects, userTokens } from './checks.mjs';

check('auth0 AuthenticationClient.oauth.refreshTokenGrant', async () => {
  assert.ok(userTokens.refresh_token, 'a refresh token from the express-openid-connect login');
  const auth = new AuthenticationClient({ domain: DOMAIN, clientId: WEB.id, clientSecret: WEB.secret });
  const { data } = await auth.oauth.refreshTokenGrant({ refresh_token: userTokens.refresh_token });
  assert.equal(data.token_type, 'Bearer');
  assert.ok(data.access_token);
  userTokens.access_token = data.access_token;
});

check('auth0 UserInfoClient.getUserInfo', async () => {
  const { data } = await new UserInfoClient({ domain: DOMAIN }).getUserInfo(userTokens.access_token);
  assert.equal(data.email, 'jane@compat.example');
  assert.equal(data.name, 'Jane Compat');
});

check('auth0 AuthenticationClient.oauth.revokeRefreshToken', async () => {
  const auth = new AuthenticationClient({ domain: DOMAIN, clientId: WEB.id, clientSecret: WEB.secret });
  await auth.oauth.revokeRefreshToken({ token: userTokens.refresh_token });
  await rejects(auth.oauth.refreshTokenGrant({ refresh_token: userTokens.refresh_token }), { error: 'invalid_grant' });
});

check('auth0 AuthenticationClient.database.signUp (a weak password refused with PasswordStrengthError)', async () => {
  const auth = new AuthenticationClient({ domain: DOMAIN, clientId: WEB.id, clientSecret: WEB.secret });
  const email = `signup-${Date.now()}@compat.example`;
  const connection = 'Username-Password-Authentication';
  const { data } = await auth.database.signUp({ email, password: 'Seven lanterns over the bay', connection });
  assert.equal(data.email, email);
  assert.equal(data.email_verified, false);
  assert.ok(data._id);
  await rejects(auth.database.signUp({ email: `x-${email}`, password: 'short', connection }), { statusCode: 400 });
});
