// The submit page: its form is built from the request-type catalog, and each request is followed over SSE.
const form = document.getElementById("submit");
const typeSelect = document.getElementById("type");
const fields = document.getElementById("fields");
const error = document.getElementById("error");
let types = [];

// Everything about a type (its fields, their hints, an example) comes from the catalog.
async function loadTypes() {
  types = await getJson("request-types");
  for (const type of types) typeSelect.add(new Option(type.name, type.name));
  showType();
}

function showType() {
  const type = types.find(t => t.name === typeSelect.value);
  document.getElementById("type-description").textContent = type.description;
  const required = type.inputSchema.required ?? [];
  fields.replaceChildren(...Object.entries(type.inputSchema.properties).flatMap(([name, schema]) =>
    inputField(name, schema, required.includes(name), type.exampleInput[name])));
  clearErrors();
}

function kindOf(schema) {
  const jsonType = [schema.type].flat().find(t => t !== "null");
  if (schema.enum) return "enum";
  if (jsonType === "number" || jsonType === "integer") return "number";
  if (jsonType === "array" && ["number", "integer"].includes(schema.items?.type)) return "numbers";
  if (jsonType === "string") return "text";
  return "json";
}

function inputField(name, schema, required, example) {
  const kind = kindOf(schema);
  let control;
  if (kind === "enum") {
    control = element("select");
    if (!required) control.add(new Option("", ""));
    for (const value of schema.enum) control.add(new Option(value, value));
    control.value = example ?? "";
  } else if (kind === "text" || kind === "json") {
    control = element("textarea");
    control.value = example === undefined ? "" : kind === "text" ? example : JSON.stringify(example, null, 2);
  } else {
    control = element("input", { inputmode: "decimal", placeholder: kind === "numbers" ? "comma-separated numbers" : "" });
    control.value = example === undefined ? "" : [example].flat().join(", ");
  }
  control.id = `field-${name}`;
  Object.assign(control.dataset, { name, kind });
  return [
    element("label", { for: control.id }, required ? name : `${name} (optional)`),
    element("div", {}, control,
      element("p", { className: "hint" }, schema.description ?? ""),
      element("p", { className: "field-error", dataset: { field: `input.${name}` } })),
  ];
}

// A value the browser cannot read as the right JSON is sent as written: the Api says what is wrong with it.
function readInput() {
  const input = {};
  for (const control of fields.querySelectorAll("[data-name]")) {
    const text = control.value.trim();
    if (text === "") continue;
    const asNumber = value => value !== "" && Number.isFinite(Number(value)) ? Number(value) : value;
    const { name, kind } = control.dataset;
    if (kind === "number") input[name] = asNumber(text);
    else if (kind === "numbers") input[name] = text.split(",").map(v => asNumber(v.trim()));
    else if (kind === "json") {
      try { input[name] = JSON.parse(text); } catch { input[name] = text; }
    }
    else input[name] = control.value;
  }
  return input;
}

function clearErrors() {
  error.textContent = "";
  for (const message of form.querySelectorAll(".field-error")) message.textContent = "";
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

// Validation problems name the field ("input.num1"); each message goes next to its field.
function showProblem(problem) {
  const unplaced = [];
  for (const [field, messages] of Object.entries(problem.errors ?? {})) {
    const target = [...form.querySelectorAll(".field-error")].find(p => p.dataset.field === field);
    if (target) {
      target.textContent = messages.join(" ");
      target.parentElement.querySelector("input, select, textarea")?.setAttribute("aria-invalid", "true");
    } else {
      unplaced.push(`${field}: ${messages.join(" ")}`);
    }
  }
  const hasErrors = Object.keys(problem.errors ?? {}).length > 0;
  error.textContent = [hasErrors ? "" : problem.title, problem.detail, ...unplaced].filter(Boolean).join("\n");
}

form.addEventListener("submit", async event => {
  event.preventDefault();
  clearErrors();
  const headers = clientHeaders();
  if (form.key.value) headers["Idempotency-Key"] = form.key.value;
  try {
    watch(await sendJson("requests", { type: typeSelect.value, input: readInput() }, headers));
  } catch (failure) {
    if (failure.status === 401) askForClientKey();
    else if (failure.problem) showProblem(failure.problem); else error.textContent = failure.message;
  }
});

// Each request shown is followed until terminal or until the page changes client.
let following = new AbortController();
clientKeyForm.addEventListener("clientchange", () => {
  following.abort();
  following = new AbortController();
  document.getElementById("requests").replaceChildren();
});

function watch(accepted) {
  const stages = element("ol", { className: "stages" });
  const status = element("span", { className: "status" });
  const outcome = element("pre", { hidden: true });
  const failed = element("p", { className: "error", role: "alert" });
  const item = element("li", { className: "card" },
    element("header", {}, element("strong", {}, accepted.type), status, element("code", {}, accepted.id)),
    element("progress", { max: 100, value: 0 }), stages, outcome, failed);
  document.getElementById("requests").prepend(item);

  followEvents(accepted.links.events.replace(/^\//, ""), clientHeaders(), request => {
    status.textContent = request.status;
    status.className = `status ${request.status}`;
    item.querySelector("progress").value = request.progress.percent;
    const stage = request.progress.stage;
    if (stage && stages.lastChild?.textContent !== stage) stages.append(element("li", {}, stage));
    const result = request.result ?? request.error;
    if (result !== undefined) {
      outcome.hidden = false;
      outcome.textContent = typeof result === "string" ? result : JSON.stringify(result, null, 2);
    }
  }, following.signal).catch(failure => {
    if (failure.name !== "AbortError") failed.textContent = failure.message;
  });
}

typeSelect.addEventListener("change", showType);
loadTypes().catch(failure => error.textContent = `Could not load the request types: ${failure.message}`);
showApiReferenceLink();
