// The clients section of the operations page: list clients, create one, add and revoke keys, disable and enable.
// A new key is shown once, as the admin API answers it; the list only ever has key ids and prefixes.
const newClientForm = document.getElementById("new-client");

async function loadClients() {
  let clients;
  try {
    clients = await admin("clients");
  } catch (failure) {
    document.getElementById("clients-error").textContent = failure.message;
    return;
  }
  document.getElementById("clients").replaceChildren(...(clients.length ? clients.map(clientRow) :
    [element("tr", {}, element("td", { className: "empty", colSpan: 6 }, "No clients yet."))]));
}

function clientRow(client) {
  const keys = client.keys.map(key => element("li", { dataset: { keyId: key.keyId } },
    element("code", {}, `${key.prefix}…`),
    ` created ${formatTime(key.createdAt)}, ${key.lastUsedAt ? `last used ${formatTime(key.lastUsedAt)}` : "never used"} `,
    button("Revoke", "secondary revoke", () => clientAction(`clients/${client.id}/keys/${key.keyId}`, "DELETE"))));
  return element("tr", { className: client.disabled ? "disabled" : "", dataset: { clientId: client.id } },
    element("td", {}, client.name),
    element("td", {}, element("code", {}, client.id)),
    element("td", {}, formatTime(client.createdAt)),
    element("td", {}, keys.length ? element("ul", { className: "keys" }, ...keys) : "no keys"),
    element("td", { className: "client-status" }, client.disabled ? "disabled" : "enabled"),
    element("td", { className: "actions-cell" },
      button("Add key", "secondary add-key", () => clientAction(`clients/${client.id}/keys`, "POST", client.name)),
      client.disabled
        ? button("Enable", "secondary enable", () => clientAction(`clients/${client.id}/enable`))
        : button("Disable", "secondary disable", () => clientAction(`clients/${client.id}/disable`))));
}

function button(text, className, onClick) {
  const node = element("button", { type: "button", className }, text);
  node.addEventListener("click", onClick);
  return node;
}

// A key in the answer (a new client, or a key added to one) is shown until the next action.
function showNewKey(clientName, answer) {
  document.getElementById("new-key").hidden = !answer?.key;
  document.getElementById("new-key-client").textContent = clientName ?? "";
  document.getElementById("new-key-value").textContent = answer?.key ?? "";
}

async function clientAction(path, method = "POST", clientName = undefined, body = undefined) {
  document.getElementById("clients-error").textContent = "";
  showNewKey();
  try {
    showNewKey(clientName, await admin(path, method, body));
  } catch (failure) {
    document.getElementById("clients-error").textContent = failure.message;
  }
  await loadClients();
}

newClientForm.addEventListener("submit", async event => {
  event.preventDefault();
  const name = document.getElementById("new-client-name").value.trim();
  await clientAction("clients", "POST", name, { name });
  if (document.getElementById("new-key").hidden === false) newClientForm.reset();
});
