// Tessera's side of an Action's world: CommonJS `module.exports`, a console that records,
// `require` refused, and `__tessera_run`, which builds Auth0's `api` object for one execution
// and returns what the Action asked for as JSON.
"use strict";
globalThis.module = { exports: {} };
globalThis.exports = globalThis.module.exports;
globalThis.__tessera_logs = [];
(function () {
  const MAX_LINES = 100;
  const MAX_LINE = 1024;
  const record = (level) => (...args) => {
    if (globalThis.__tessera_logs.length >= MAX_LINES) return;
    const line = args
      .map((a) => (typeof a === "string" ? a : (() => { try { return JSON.stringify(a); } catch (_) { return String(a); } })()))
      .join(" ");
    globalThis.__tessera_logs.push(`${level}: ${line}`.slice(0, MAX_LINE));
  };
  globalThis.console = {
    log: record("log"), info: record("info"), warn: record("warn"),
    error: record("error"), debug: record("debug"),
  };
})();
globalThis.require = function (name) {
  throw new Error(`require('${name}') is not available in Tessera Actions: npm modules are not supported`);
};

globalThis.__tessera_run = async function (trigger, eventJson) {
  const event = JSON.parse(eventJson);
  globalThis.__tessera_logs = [];
  const result = {
    id_token_claims: {}, access_token_claims: {}, scopes_added: [], scopes_removed: [],
    app_metadata: {}, user_metadata: {}, denied: null,
  };
  const unsupported = (name) => () => {
    throw new Error(`${name} is not supported by Tessera`);
  };
  const claim = (target) => (name, value) => {
    if (typeof name !== "string" || name.length === 0) throw new TypeError("a claim name must be a non-empty string");
    target[name] = value === undefined ? null : JSON.parse(JSON.stringify(value));
  };
  const metadata = (target) => (key, value) => {
    if (typeof key !== "string" || key.length === 0) throw new TypeError("a metadata key must be a non-empty string");
    target[key] = value === undefined ? null : JSON.parse(JSON.stringify(value));
  };
  const scopes = (add) => (scope) => {
    if (typeof scope !== "string" || scope.length === 0) throw new TypeError("a scope must be a non-empty string");
    const [into, from] = add ? [result.scopes_added, result.scopes_removed] : [result.scopes_removed, result.scopes_added];
    const at = from.indexOf(scope);
    if (at >= 0) from.splice(at, 1);
    if (!into.includes(scope)) into.push(scope);
  };
  let api;
  let handler;
  if (trigger === "post-login") {
    handler = module.exports.onExecutePostLogin;
    api = {
      access: {
        deny: (reason) => { result.denied = { reason: String(reason ?? "") }; },
      },
      idToken: { setCustomClaim: claim(result.id_token_claims) },
      accessToken: {
        setCustomClaim: claim(result.access_token_claims),
        addScope: scopes(true),
        removeScope: scopes(false),
      },
      user: {
        setAppMetadata: metadata(result.app_metadata),
        setUserMetadata: metadata(result.user_metadata),
      },
      redirect: {
        sendUserTo: unsupported("api.redirect.sendUserTo"),
        encodeToken: unsupported("api.redirect.encodeToken"),
        validateToken: unsupported("api.redirect.validateToken"),
      },
      multifactor: { enable: unsupported("api.multifactor.enable") },
      authentication: {
        challengeWith: unsupported("api.authentication.challengeWith"),
        enrollWith: unsupported("api.authentication.enrollWith"),
      },
    };
  } else {
    handler = module.exports.onExecuteCredentialsExchange;
    api = {
      access: {
        deny: (code, reason) => { result.denied = { code: String(code ?? ""), reason: String(reason ?? "") }; },
      },
      accessToken: { setCustomClaim: claim(result.access_token_claims) },
    };
  }
  if (typeof handler !== "function") {
    const name = trigger === "post-login" ? "onExecutePostLogin" : "onExecuteCredentialsExchange";
    throw new Error(`the Action does not export ${name}`);
  }
  await handler(event, api);
  result.logs = globalThis.__tessera_logs;
  return JSON.stringify(result);
};
