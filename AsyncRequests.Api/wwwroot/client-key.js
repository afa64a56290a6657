// The submit page's client key. The page asks for one once the Api answers 401, so a service that needs no key
// never shows the form. The key stays in this tab (sessionStorage) and goes only into the Authorization header.
const clientKeyStorage = "asyncrequests.clientKey";
const clientKeyForm = document.getElementById("client-key");

function clientHeaders() {
  const key = sessionStorage.getItem(clientKeyStorage);
  return key ? { Authorization: `Bearer ${key}` } : {};
}

// The requests on the page belong to the key's client: a change of key tells the page to drop them.
function setClientKey(key) {
  if (key) sessionStorage.setItem(clientKeyStorage, key); else sessionStorage.removeItem(clientKeyStorage);
  clientKeyForm.hidden = !sessionStorage.getItem(clientKeyStorage);
showClientKey();
  clientKeyForm.dispatchEvent(new Event("clientchange"));
}

function showClientKey() {
  const key = sessionStorage.getItem(clientKeyStorage);
  document.getElementById("client-key-state").textContent = key
    ? `Using the key ${key.slice(0, 10)}…, kept in this tab only. The list shows this client's requests.`
    : "This service needs a client key. It is kept in this tab only.";
  document.getElementById("forget-client-key").disabled = !key;
}

// Called on a 401: a refused key (revoked, or its client disabled) is forgotten with its client's requests.
function askForClientKey() {
  const refused = sessionStorage.getItem(clientKeyStorage) !== null;
  document.getElementById("client-key-error").textContent = refused
    ? "The key was refused (401): it may be revoked or its client disabled. Paste a valid key and submit again."
    : "This service needs a client key (401). Paste it and submit again.";
  setClientKey(null);
  clientKeyForm.hidden = false;
  document.getElementById("client-key-value").focus();
}

clientKeyForm.addEventListener("submit", event => {
  event.preventDefault();
  const input = document.getElementById("client-key-value");
  if (!input.value.trim()) return;
  document.getElementById("client-key-error").textContent = "";
  setClientKey(input.value.trim());
  input.value = "";
});
document.getElementById("forget-client-key").addEventListener("click", () => setClientKey(null));
clientKeyForm.hidden = !sessionStorage.getItem(clientKeyStorage);
showClientKey();
