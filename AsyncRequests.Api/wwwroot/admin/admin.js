// The operations page: stats, the request list and one request's detail, through the admin API (clients: clients.js).
const $ = id => document.getElementById(id);
const keyStorage = "asyncrequests.adminKey";
const filter = $("filter");
let cursors = [null];   // the cursor of each page seen, for going back to newer ones
let pageIndex = 0;
let selectedId = null;
let following = new AbortController();

const adminHeaders = () => ({ Authorization: `Bearer ${sessionStorage.getItem(keyStorage)}` });

// Every admin call carries the key; a refused key sends the operator back to the key form.
async function admin(path, method = "GET", body = undefined) {
  const headers = adminHeaders();
  try {
    return method === "GET" ? await getJson(`../admin/${path}`, headers) : await sendJson(`../admin/${path}`, body, headers, method);
  } catch (failure) {
    if (failure.status === 401) showKeyError("The key was refused (401). Check it and paste it again.");
    if (failure.status === 404 && path === "stats") showKeyError("The admin API is off: this service has no key configured (Admin:ApiKeys).");
    throw failure;
  }
}

function showKeyError(message) {
  $("key-error").textContent = message;
  $("console").hidden = true;
}

async function start() {
  $("key-error").textContent = "";
  try {
    await loadStats();
  } catch (failure) {
    if (!$("key-error").textContent) $("key-error").textContent = failure.message;
    return;
  }
  $("console").hidden = false;
  cursors = [null];
  await Promise.all([loadPage(0), loadClients()]);
}

async function loadStats() {
  const stats = await admin("stats");
  $("stats-error").textContent = "";
  const queue = stats.queue ?? {};
  const last = stats.completedLastMinute ?? {};
  const tiles = [
    ...["pending", "processing", "succeeded", "failed", "cancelled"].map(s => [stats.byStatus?.[s] ?? 0, s, s]),
    [stats.oldestPendingAgeSeconds == null ? "–" : `${Math.round(stats.oldestPendingAgeSeconds)} s`, "oldest pending"],
    [stats.outboxBacklog, "outbox backlog"],
    [queue.approximateMessages ?? "–", "queue depth"],
    [queue.deadLetterApproximateMessages ?? "–", "dead-letter depth"],
  ];
  const lastMinute = element("strong", {}, ...["succeeded", "failed", "cancelled"].flatMap((status, i) =>
    [i ? " / " : "", element("span", { className: status, title: status }, String(last[status] ?? 0))]));
  $("stats").replaceChildren(
    ...tiles.map(([value, label, status]) => element("div", { className: "tile", dataset: { stat: label } },
      element("strong", { className: status ?? "" }, String(value)), element("span", {}, label))),
    element("div", { className: "tile", dataset: { stat: "last minute" } }, lastMinute, element("span", {}, "finished in the last minute")));
  $("by-type").textContent = Object.entries(stats.byType ?? {}).map(([type, count]) => `${type}: ${count}`).join(" · ");
}

function query(cursor) {
  const parameters = new URLSearchParams();
  for (const [name, value] of new FormData(filter)) {
    if (!value) continue;
    parameters.set(name, name.startsWith("created") ? new Date(value).toISOString() : value);
  }
  if (cursor) parameters.set("cursor", cursor);
  return parameters;
}

async function loadPage(index) {
  $("list-error").textContent = "";
  let page;
  try {
    page = await admin(`requests?${query(cursors[index])}`);
  } catch (failure) {
    $("list-error").textContent = failure.message;
    return;
  }
  pageIndex = index;
  cursors.length = index + 1;
  if (page.nextCursor) cursors.push(page.nextCursor);
  $("newer").disabled = index === 0;
  $("older").disabled = !page.nextCursor;
  $("newer").onclick = () => loadPage(index - 1);
  $("older").onclick = () => loadPage(index + 1);
  $("rows").replaceChildren(...(page.items.length ? page.items.map(row) :
    [element("tr", {}, element("td", { className: "empty", colSpan: 8 }, "No requests match."))]));
}

function row(item) {
  const open = element("button", { type: "button", className: "link", title: "Show details" }, item.id);
  open.addEventListener("click", () => showDetail(item.id));
  return element("tr", { className: item.id === selectedId ? "selected" : "", dataset: { id: item.id } },
    element("td", {}, formatTime(item.createdAt)),
    element("td", {}, open),
    element("td", { className: "client" }, item.clientId),
    element("td", {}, item.type),
    element("td", {}, element("span", { className: `status ${item.status}` }, item.status)),
    element("td", { className: "number" }, String(item.attempts)),
    element("td", {}, formatTime(item.completedAt)),
    element("td", { className: "error-text", title: item.error ?? "" }, item.error ?? ""));
}

async function showDetail(id) {
  selectedId = id;
  for (const tr of $("rows").children) tr.classList.toggle("selected", tr.dataset.id === id);
  $("detail").hidden = false;
  $("detail-error").textContent = "";
  try {
    follow(await admin(`requests/${id}`));
  } catch (failure) {
    $("detail-error").textContent = failure.message;
  }
}

function renderDetail(request) {
  $("detail-id").textContent = request.id;
  const fields = [
    ["Type", request.type], ["Client", request.clientId], ["Status", request.status, `status ${request.status}`], ["Attempts", String(request.attempts)],
    ["Progress", `${request.progress.percent}%${request.progress.stage ? ` · ${request.progress.stage}` : ""}`],
    ["Created", formatTime(request.createdAt)], ["Started", formatTime(request.startedAt)],
    ["Completed", formatTime(request.completedAt)], ["Trace id", request.traceId ?? ""],
  ];
  $("detail-fields").replaceChildren(...fields.flatMap(([name, value, className = ""]) =>
    [element("dt", {}, name), element("dd", { className }, value)]));
  const outcome = request.result !== undefined ? JSON.stringify(request.result, null, 2) : request.error;
  $("detail-outcome").hidden = outcome === undefined;
  $("detail-outcome").textContent = outcome ?? "";
  $("history").replaceChildren(...request.history.map(entry => element("tr", {},
    element("td", {}, formatTime(entry.at)),
    element("td", {}, element("span", { className: `status ${entry.status}` }, entry.status)),
    element("td", { className: "number" }, String(entry.attempt)),
    element("td", {}, entry.detail ?? ""))));
  $("retry").disabled = !["failed", "cancelled"].includes(request.status);
  $("cancel").disabled = isTerminal(request.status);
}

// The request shown is followed live until it is terminal (again, after a retry).
function follow(request) {
  following.abort();
  following = new AbortController();
  renderDetail(request);
  if (isTerminal(request.status)) return;
  followEvents(`../admin/requests/${request.id}/events`, adminHeaders(), latest => {
    if (latest.id === selectedId) renderDetail(latest);
    if (isTerminal(latest.status)) refresh();
  }, following.signal).catch(failure => {
    if (failure.name !== "AbortError") $("detail-error").textContent = failure.message;
  });
}

async function act(action) {
  $("detail-error").textContent = "";
  try {
    follow(await admin(`requests/${selectedId}/${action}`, "POST"));
  } catch (failure) {
    $("detail-error").textContent = failure.message;
  }
  await refresh();
}

async function refresh() {
  try {
    await loadStats();
  } catch (failure) {
    $("stats-error").textContent = failure.message;
  }
  await loadPage(pageIndex);
}

$("key-form").addEventListener("submit", event => {
  event.preventDefault();
  sessionStorage.setItem(keyStorage, $("key").value.trim());
  $("key").value = "";
  start();
});
$("forget").addEventListener("click", () => {
  sessionStorage.removeItem(keyStorage);
  showKeyError("");
});
filter.addEventListener("submit", event => {
  event.preventDefault();
  cursors = [null];
  loadPage(0);
});
$("refresh").addEventListener("click", refresh);
$("retry").addEventListener("click", () => act("retry"));
$("cancel").addEventListener("click", () => act("cancel"));

getJson("../request-types")
  .then(types => { for (const type of types) filter.type.add(new Option(type.name, type.name)); })
  .catch(failure => $("list-error").textContent = `Could not load the request types: ${failure.message}`);
if (sessionStorage.getItem(keyStorage)) start();
showApiReferenceLink();
