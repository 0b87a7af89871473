// Passkeys on Tessera's hosted pages. A page with a passkey step carries the WebAuthn options
// the server made (a JSON data block, #passkey-options) and a form (#passkey-form) whose
// data-ceremony says what to run: "create" (register a passkey), "get" (prove one of the
// user's) or "autofill" (sign in with whichever passkey the browser offers: conditional
// mediation on the username field, and a button). The browser's answer is posted with the form;
// the server verifies everything. Served from /u/passkey.js, the only script the pages allow.
(function () {
  "use strict";
  var form = document.getElementById("passkey-form");
  var data = document.getElementById("passkey-options");
  if (!form || !data) {
    return;
  }
  var buttons = document.querySelectorAll("[data-passkey-start]");
  if (!window.PublicKeyCredential || !navigator.credentials) {
    document.getElementById("passkey-unsupported").hidden = false;
    buttons.forEach(function (button) { button.disabled = true; });
    return;
  }

  function fromBase64Url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64Url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // A fresh copy of the options, binary members decoded (each ceremony call consumes one).
  function publicKeyOptions() {
    var options = JSON.parse(data.textContent).publicKey;
    options.challenge = fromBase64Url(options.challenge);
    if (options.user) {
      options.user.id = fromBase64Url(options.user.id);
    }
    ["excludeCredentials", "allowCredentials"].forEach(function (list) {
      (options[list] || []).forEach(function (credential) {
        credential.id = fromBase64Url(credential.id);
      });
    });
    return options;
  }

  function answer(credential) {
    var response = credential.response;
    var encoded = {
      id: credential.id,
      rawId: toBase64Url(credential.rawId),
      type: credential.type,
      extensions: credential.getClientExtensionResults(),
      response: { clientDataJSON: toBase64Url(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      encoded.response.attestationObject = toBase64Url(response.attestationObject);
      if (response.getTransports) {
        encoded.response.transports = response.getTransports();
      }
    } else {
      encoded.response.authenticatorData = toBase64Url(response.authenticatorData);
      encoded.response.signature = toBase64Url(response.signature);
      encoded.response.userHandle = response.userHandle ? toBase64Url(response.userHandle) : null;
    }
    return JSON.stringify(encoded);
  }

  function submit(credential) {
    if (!credential) {
      return;
    }
    form.elements.credential.value = answer(credential);
    form.submit();
  }

  function failed(error) {
    if (error && error.name === "AbortError") {
      return;
    }
    document.getElementById("passkey-failed").hidden = false;
  }

  var running = null;

  function get(mediation) {
    if (running) {
      running.abort();
    }
    running = new AbortController();
    var request = { publicKey: publicKeyOptions(), signal: running.signal };
    if (mediation) {
      request.mediation = mediation;
    }
    return navigator.credentials.get(request);
  }

  var ceremony = form.dataset.ceremony;
  buttons.forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      document.getElementById("passkey-failed").hidden = true;
      if (ceremony === "create") {
        navigator.credentials.create({ publicKey: publicKeyOptions() }).then(submit, failed);
      } else {
        get(null).then(submit, failed);
      }
    });
  });
  if (ceremony === "autofill" && PublicKeyCredential.isConditionalMediationAvailable) {
    PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
      if (available) {
        get("conditional").then(submit, failed);
      }
    });
  }
})();
