// Auth0's Node SDKs against Tessera: the order of the imports is the order of the checks.
import { runAll } from './checks.mjs';
import './node-auth0.mjs';
import './node-auth0-guardian.mjs';
import './express-oauth2-jwt-bearer.mjs';
import './express-openid-connect.mjs';
import './node-auth0-actions.mjs';
import './node-auth0-user.mjs';
import './node-auth0-connections.mjs';
import './oidc-provider-upstream.mjs';
import './spa.mjs';
import './openid-client.mjs';

process.exitCode = (await runAll('node SDKs')) > 0 ? 1 : 0;
process.exit();
