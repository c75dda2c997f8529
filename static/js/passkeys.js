// パスキー: registering one on 2段階認証, and signing in with one (the second step, or instead of
// the password). The server's options and the browser's answers travel as JSON, binary fields as
// base64url, the form names of py_webauthn (services/passkeys.py).
const toBytes = (text) => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
};
const toText = (buffer) => {
  let binary = "";
  new Uint8Array(buffer).forEach((byte) => { binary += String.fromCharCode(byte); });
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

// The page's own words (templates/_passkey_error.html): the messages live with the templates.
const said = (name) => document.getElementById("passkey-error")?.dataset[name] || "";

function showError(message) {
  const box = document.getElementById("passkey-error");
  if (!box) return;
  box.querySelector("p").textContent = message || "";
  box.hidden = !message;
  if (message) box.scrollIntoView({ block: "nearest" });
}

async function post(url, csrf, fields) {
  // A form post, as every page's: the CSRF token a field; the browser's answer goes as JSON text.
  const body = new URLSearchParams({ csrf_token: csrf });
  Object.entries(fields || {}).forEach(([name, value]) => {
    body.set(name, typeof value === "string" ? value : JSON.stringify(value));
  });
  const response = await fetch(url, { method: "POST", credentials: "same-origin", body });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.message || said("failed"));
    error.errors = data.errors || {};
    throw error;
  }
  return data;
}

function creationOptions(options) {
  return {
    ...options,
    challenge: toBytes(options.challenge),
    user: { ...options.user, id: toBytes(options.user.id) },
    excludeCredentials: (options.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
  };
}

function requestOptions(options) {
  return {
    ...options,
    challenge: toBytes(options.challenge),
    allowCredentials: (options.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
  };
}

function registrationJSON(credential) {
  return {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toText(credential.response.clientDataJSON),
      attestationObject: toText(credential.response.attestationObject),
      transports: credential.response.getTransports ? credential.response.getTransports() : [],
    },
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
  };
}

function assertionJSON(credential) {
  const response = credential.response;
  return {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toText(response.clientDataJSON),
      authenticatorData: toText(response.authenticatorData),
      signature: toText(response.signature),
      userHandle: response.userHandle ? toText(response.userHandle) : null,
    },
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
  };
}

function cancelled(error) {
  // The person closed the browser's dialog: nothing to report.
  return error && (error.name === "NotAllowedError" || error.name === "AbortError");
}

function showFieldError(form, errors) {
  const input = form.elements.passkey_name;
  let line = document.getElementById("passkey_name-error");
  if (errors.passkey_name) {
    if (!line) {
      line = document.createElement("p");
      line.className = "field__error";
      line.id = "passkey_name-error";
      input.closest(".field").appendChild(line);
    }
    line.textContent = errors.passkey_name;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "passkey_name-help passkey_name-error");
    input.focus();
  } else if (line) {
    line.remove();
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", "passkey_name-help");
  }
}

async function register(form) {
  const button = form.querySelector("button[type=submit]");
  const csrf = form.elements.csrf_token.value;
  showError("");
  showFieldError(form, {});
  if (!form.elements.passkey_name.value.trim()) {
    showFieldError(form, { passkey_name: said("nameRequired") });
    return;
  }
  if (!window.PublicKeyCredential) { showError(said("unsupported")); return; }
  button.disabled = true;
  try {
    const options = await post("/account/security/passkeys/options", csrf);
    const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
    const done = await post("/account/security/passkeys", csrf,
      { name: form.elements.passkey_name.value, credential: registrationJSON(credential) });
    window.location.assign(done.redirect);
  } catch (error) {
    if (error.errors && error.errors.passkey_name) showFieldError(form, error.errors);
    else if (!cancelled(error)) showError(error.message || said("failed"));
  } finally {
    button.disabled = false;
  }
}

async function signIn(button) {
  const csrf = button.dataset.csrf;
  showError("");
  if (!window.PublicKeyCredential) { showError(said("unsupported")); return; }
  button.disabled = true;
  try {
    const options = await post("/login/passkey/options", csrf);
    const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    const done = await post("/login/passkey", csrf, { credential: assertionJSON(credential), next: button.dataset.next || "/" });
    window.location.assign(done.redirect);
  } catch (error) {
    if (!cancelled(error)) showError(error.message || said("failed"));
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target.closest("[data-passkey-register]");
  if (!form) return;
  event.preventDefault();
  register(form);
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-passkey-second], [data-passkey-login]");
  if (!button) return;
  event.preventDefault();
  signIn(button);
});
