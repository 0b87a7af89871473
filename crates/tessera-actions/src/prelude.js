// Tessera's side of an Action's world, evaluated once in each Action's context before the
// Action's own code: CommonJS `module.exports`, a console that records, `require` refused,
// and `__tessera_run`, which builds Auth0's `api` object for one execution and returns what
// the Action asked for as JSON. The Rust side re-checks everything that matters (restricted
// claims, deny codes, sizes): an Action that tampers with these globals only hurts itself.
"use strict";
globalThis.module = { exports: {} };
globalThis.exports = globalThis.module.exports;
(function () {
  const MAX_LINES = 100;
  const MAX_LINE = 1024;
  let logs = [];
  // Node's console prints strings as they are and objects inspected; JSON is near enough.
  const show = (a) => {
    if (typeof a === "string") return a;
    if (a instanceof Error) return a.stack ? `${a.name}: ${a.message}\n${a.stack}` : `${a.name}: ${a.message}`;
    if (typeof a === "function") return `[Function: ${a.name || "(anonymous)"}]`;
    if (a === undefined || typeof a === "bigint" || typeof a === "symbol") return String(a);
    try {
      const text = JSON.stringify(a);
      return text === undefined ? String(a) : text;
    } catch (_) {
      return String(a);
    }
  };
  const record = (level) => (...args) => {
    if (logs.length >= MAX_LINES) return;
    logs.push(`${level}: ${args.map(show).join(" ")}`.slice(0, MAX_LINE));
  };
  const console = {
    log: record("log"), info: record("info"), warn: record("warn"),
    error: record("error"), debug: record("debug"),
  };
  // Auth0 Actions run on Node with npm dependencies; Tessera runs plain JavaScript only.
  const require = function (name) {
    throw new Error(`require('${name}') is not available in Tessera Actions: Node modules and npm dependencies are not supported`);
  };

  // Turns `value` into plain JSON data, or says why it cannot be.
  const plain = (value, what) => {
    let text;
    try {
      text = JSON.stringify(value);
    } catch (e) {
      throw new TypeError(`${what} must be JSON-serialisable: ${e.message}`);
    }
    if (text === undefined) throw new TypeError(`${what} must be JSON-serialisable, not a ${typeof value}`);
    return JSON.parse(text);
  };
  const name = (value, what) => {
    if (typeof value !== "string" || value.length === 0) throw new TypeError(`${what} must be a non-empty string`);
    return value;
  };
  // A namespace of `api`: its methods, and a clear error for any other member, since Auth0's
  // api has many that Tessera does not (api.redirect, api.multifactor, api.cache...).
  const namespace = (path, methods) => new Proxy(methods, {
    get(target, prop) {
      if (typeof prop !== "string" || prop in target || prop === "then" || prop === "toJSON") return target[prop];
      return () => {
        throw new Error(`${path}.${prop} is not supported by Tessera Actions`);
      };
    },
  });

  // Auth0's "post-login API object": the providers of api.multifactor.enable. Tessera's second
  // factor is an authenticator app (or its recovery code), which `any`, `guardian` and
  // `google-authenticator` all name; Duo is a service Tessera cannot call.
  const MFA_PROVIDERS = ["any", "duo", "google-authenticator", "guardian"];

  // Auth0's "Credentials Exchange API object": the allowed codes of api.access.deny.
  const DENY_CODES = ["invalid_scope", "invalid_request", "server_error"];

  const postLoginApi = (result, self) => ({
    access: {
      deny(reason) {
        if (result.denied === null) result.denied = { reason: String(reason ?? "") };
        return self();
      },
    },
    idToken: {
      setCustomClaim(key, value) {
        return claim(result.id_token_claims, key, value, self);
      },
    },
    accessToken: {
      setCustomClaim(key, value) {
        return claim(result.access_token_claims, key, value, self);
      },
      addScope(scope) {
        return scopes(result, true, scope, self);
      },
      removeScope(scope) {
        return scopes(result, false, scope, self);
      },
    },
    multifactor: {
      enable(provider, _options) {
        if (!MFA_PROVIDERS.includes(provider)) {
          throw new TypeError(`api.multifactor.enable: provider must be one of ${MFA_PROVIDERS.join(", ")}`);
        }
        if (provider === "duo") {
          throw new Error("api.multifactor.enable('duo') is not supported by Tessera Actions: use 'any'");
        }
        result.multifactor = provider;
        return self();
      },
    },
    user: {
      setAppMetadata(key, value) {
        return metadata(result.app_metadata, key, value, self);
      },
      setUserMetadata(key, value) {
        return metadata(result.user_metadata, key, value, self);
      },
    },
  });

  const credentialsExchangeApi = (result, self) => ({
    access: {
      deny(code, reason) {
        if (!DENY_CODES.includes(code)) {
          throw new TypeError(`api.access.deny: code must be one of ${DENY_CODES.join(", ")}`);
        }
        if (result.denied === null) result.denied = { code, reason: String(reason ?? "") };
        return self();
      },
    },
    accessToken: {
      setCustomClaim(key, value) {
        return claim(result.access_token_claims, key, value, self);
      },
    },
  });

  const claim = (target, key, value, self) => {
    name(key, "a claim name");
    if (value === undefined) delete target[key];
    else target[key] = plain(value, `the value of claim '${key}'`);
    return self();
  };
  // Auth0 merges metadata key by key; null (or undefined) removes the key.
  const metadata = (target, key, value, self) => {
    name(key, "a metadata key");
    target[key] = value === undefined ? null : plain(value, `metadata '${key}'`);
    return self();
  };
  const scopes = (result, add, scope, self) => {
    name(scope, "a scope");
    const [into, from] = add ? [result.scopes_added, result.scopes_removed] : [result.scopes_removed, result.scopes_added];
    const at = from.indexOf(scope);
    if (at >= 0) from.splice(at, 1);
    if (!into.includes(scope)) into.push(scope);
    return self();
  };

  const run = async function (trigger, eventJson) {
    const event = JSON.parse(eventJson);
    logs = [];
    const result = {
      id_token_claims: {}, access_token_claims: {}, scopes_added: [], scopes_removed: [],
      app_metadata: {}, user_metadata: {}, denied: null, multifactor: null, logs: [],
    };
    let api;
    const self = () => api;
    const postLogin = trigger === "post-login";
    const methods = postLogin ? postLoginApi(result, self) : credentialsExchangeApi(result, self);
    const namespaces = {};
    for (const key of Object.keys(methods)) namespaces[key] = namespace(`api.${key}`, methods[key]);
    api = new Proxy(namespaces, {
      get(target, prop) {
        if (typeof prop !== "string" || prop in target || prop === "then" || prop === "toJSON") return target[prop];
        return namespace(`api.${prop}`, {});
      },
    });
    const exported = globalThis.module && globalThis.module.exports;
    const handlerName = postLogin ? "onExecutePostLogin" : "onExecuteCredentialsExchange";
    const handler = exported ? exported[handlerName] : undefined;
    if (typeof handler !== "function") throw new Error(`the Action does not export ${handlerName}`);
    await handler(event, api);
    result.logs = logs;
    return JSON.stringify(result);
  };

  const fixed = (value) => ({ value, writable: false, configurable: false, enumerable: false });
  Object.defineProperty(globalThis, "__tessera_run", fixed(run));
  Object.defineProperty(globalThis, "console", fixed(console));
  Object.defineProperty(globalThis, "require", fixed(require));
})();
