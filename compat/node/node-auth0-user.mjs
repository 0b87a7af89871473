// `auth0` (node-auth0) with a user's tokens: refresh, userinfo and revocation, after the
// express-openid-connect checks logged jane in (they leave her refresh token in `userTokens`);
// then AuthenticationClient.database: sign-up and the password reset request.

import assert from 'node:assert/strict';
import { AuthenticationClient, ManagementClient, UserInfoClient } from 'auth0';

import { DOMAIN, MANAGEMENT, WEB, check, rejects, userTokens } from './checks.mjs';

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

check('auth0 AuthenticationClient.database.changePassword (an account\'s address and an unknown one: the same answer; the request in logs.getAll)', async () => {
  // Two of the 20 reset requests an IP may make in an hour (the python suite made two; no other
  // check asks for a reset). No email provider exists: the mail goes to the development outbox.
  const management = new ManagementClient({ domain: DOMAIN, clientId: MANAGEMENT.id, clientSecret: MANAGEMENT.secret });
  const connection = 'Username-Password-Authentication';
  const email = `node-reset-${Date.now()}@compat.example`;
  const { data: user } = await management.users.create({ connection, email, password: 'Reset harbour passphrase 5' });
  try {
    const auth = new AuthenticationClient({ domain: DOMAIN, clientId: WEB.id, clientSecret: WEB.secret });
    const { data: answer, status } = await auth.database.changePassword({ email, connection });
    assert.equal(status, 200);
    assert.equal(answer, "We've just sent you an email to reset your password.");
    const { data: unknown } = await auth.database.changePassword({ email: `nobody-${Date.now()}@compat.example`, connection });
    assert.equal(unknown, answer, 'an unknown address gets the same answer');
    // The request is logged (`scpr`), shortly after it is answered.
    let events = [];
    for (const deadline = Date.now() + 5000; events.length === 0 && Date.now() < deadline; ) {
      const { data: logs } = await management.logs.getAll({ q: `type:scpr AND client_id:${WEB.id}`, per_page: 100 });
      events = logs.filter((event) => event.user_name === email);
      if (events.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(events[0]?.type, 'scpr');
  } finally {
    await management.users.delete({ id: user.user_id });
  }
});
