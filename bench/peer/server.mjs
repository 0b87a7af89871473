// The peer tessera-bench compares against: node `oidc-provider` (OpenID certified), its default
// in-memory adapter, configured through its documented options to mirror what tessera-bench seeds
// in Tessera (crates/tessera-bench/src/server.rs): the same clients, secrets, APIs and user.
//
//   node server.mjs PORT        # listens on 127.0.0.1:PORT, issuer http://127.0.0.1:PORT
//
// tessera-bench starts it (pinned with taskset like Tessera); nothing here is for production.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider, { errors } from 'oidc-provider';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node server.mjs PORT');
  process.exit(2);
}

// Keep in step with crates/tessera-bench/src/server.rs.
const M2M_CLIENT = 'bench-m2m';
const M2M_SECRET = 'bench-m2m-secret-0123456789abcdef0123456789';
const WEB_CLIENT = 'bench-web';
const WEB_SECRET = 'bench-web-secret-0123456789abcdef0123456789';
const CALLBACK = 'http://127.0.0.1:9/cb';
const USER = 'bench';
// Resource indicator → signing algorithm, like Tessera's APIS table. RFC 8707 resource
// indicators are absolute URIs; "bench:rs256" is one (scheme "bench").
const APIS = {
  'bench:rs256': 'RS256',
  'bench:ps256': 'PS256',
  'bench:es256': 'ES256',
  'bench:eddsa': 'EdDSA',
};

// Fresh keys on every start, as Tessera generates its own on a fresh store. The RSA key has no
// `alg` so it serves both RS256 and PS256.
function privateJwk(type, options, extra) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), use: 'sig', ...extra };
}
const jwks = {
  keys: [
    privateJwk('rsa', { modulusLength: 2048 }, { kid: 'rsa' }),
    privateJwk('ec', { namedCurve: 'P-256' }, { kid: 'p256', alg: 'ES256' }),
    privateJwk('ed25519', {}, { kid: 'ed25519', alg: 'EdDSA' }),
  ],
};

const DAY = 24 * 60 * 60;

const configuration = {
  jwks,
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  // Tessera's paths, so the bench's requests differ only where the protocol dialect does
  // (`resource` instead of Auth0's `audience`).
  routes: {
    authorization: '/authorize',
    token: '/oauth/token',
    jwks: '/.well-known/jwks.json',
    userinfo: '/userinfo',
  },
  clients: [
    {
      client_id: M2M_CLIENT,
      client_secret: M2M_SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'read',
    },
    {
      client_id: WEB_CLIENT,
      client_secret: WEB_SECRET,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [CALLBACK],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  scopes: ['openid', 'profile', 'email', 'offline_access', 'read'],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
  },
  async findAccount(_ctx, sub) {
    if (sub !== USER) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, name: 'Bench', email: 'bench@example.com', email_verified: false };
      },
    };
  },
  features: {
    // Its bundled login and consent pages: any login name, no password check (so a peer login
    // costs no password hash, unlike Tessera's argon2id).
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    userinfo: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Tokens redeemed from a code or refresh token are for the API the authorization asked
      // for, as Tessera's are for its `audience`.
      useGrantedResource: () => true,
      getResourceServerInfo(_ctx, resourceIndicator) {
        const alg = APIS[resourceIndicator];
        if (!alg) throw new errors.InvalidTarget();
        return {
          scope: 'read',
          audience: resourceIndicator,
          accessTokenTTL: DAY,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg } },
        };
      },
    },
  },
  // Rotate on every use, like Tessera's `rotation_type = "rotating"` web client.
  rotateRefreshToken: true,
  // Tessera's rule: a refresh token only when `offline_access` was asked and granted.
  issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token')
    && code.scopes.has('offline_access'),
  ttl: {
    AccessToken: DAY,
    ClientCredentials: DAY,
    AuthorizationCode: 600,
    IdToken: 36000,
    RefreshToken: 30 * DAY,
    Interaction: 3600,
    Session: 3 * DAY,
    Grant: 30 * DAY,
  },
};

const provider = new Provider(`http://127.0.0.1:${port}`, configuration);
createServer(provider.callback()).listen(port, '127.0.0.1');
