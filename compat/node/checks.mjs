// The registry of checks: each is named after the SDK call it makes and runs in order; a failure
// is reported and the next check runs.

import assert from 'node:assert/strict';

export const DOMAIN = process.env.COMPAT_DOMAIN;
export const ISSUER = `https://${DOMAIN}/`;
export const API = 'https://api.compat.example/';
export const WEB = { id: 'compat-web', secret: 'compat-web-secret-0123456789abcdef0123' };
export const M2M = { id: 'compat-m2m', secret: 'compat-m2m-secret-0123456789abcdef0123' };
export const LEGACY = { id: 'compat-legacy', secret: 'compat-legacy-secret-0123456789abcdef01' };
export const MANAGEMENT = { id: 'compat-management', secret: 'compat-management-secret-0123456789abcdef' };
export const SPA = { id: 'compat-spa', origin: 'https://127.0.0.1:3444', callback: 'https://127.0.0.1:3444/' };
export const JANE = { username: 'jane', password: 'correct horse battery staple', name: 'Jane Compat', email: 'jane@compat.example' };

const registered = [];

/** A user's tokens, obtained by one check and used by later ones. */
export const userTokens = {};

export function check(sdkCall, body) {
  registered.push([sdkCall, body]);
}

/** The payload of a JWT (its signature is checked where a check says so). */
export function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

/** Awaits `promise`, which must reject with an error whose fields match `expected`. */
export async function rejects(promise, expected) {
  try {
    await promise;
  } catch (error) {
    for (const [field, value] of Object.entries(expected)) {
      assert.equal(error[field], value, `${field} of ${error.name}: ${error.message}`);
    }
    return error;
  }
  assert.fail(`expected a rejection with ${JSON.stringify(expected)}`);
}

/** Logs jane in on Tessera's hosted pages in `page` (a Playwright page), allowing consent. */
export async function logInOnTessera(page) {
  await page.waitForURL((url) => url.href.startsWith(`${ISSUER}u/login`));
  await page.fill('input[name=username]', JANE.username);
  await page.fill('input[name=password]', JANE.password);
  await page.click('button[type=submit]');
  await page.waitForURL((url) => !url.href.startsWith(`${ISSUER}u/login`));
  if (page.url().startsWith(`${ISSUER}u/consent`)) {
    await page.click('button[name=decision][value=allow]');
  }
}

export async function runAll(suite) {
  let failed = 0;
  for (const [name, body] of registered) {
    try {
      await body();
      console.log(`ok - ${name}`);
    } catch (error) {
      failed += 1;
      console.log(`not ok - ${name}: ${(error && error.stack) || error}`);
    }
  }
  console.log(`${suite}: ${registered.length - failed} passed, ${failed} failed`);
  return failed;
}
