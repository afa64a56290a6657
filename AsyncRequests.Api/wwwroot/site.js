// Shared by the pages. Everything shown is built with element(), which only ever sets text:
// request data can never become markup. Every failed call throws an Error that says what happened.
"use strict";

function element(tag, properties = {}, ...children) {
  const node = document.createElement(tag);
  const { dataset = {}, ...rest } = properties;
  for (const [name, value] of Object.entries(rest)) {
    if (name in node) node[name] = value; else node.setAttribute(name, value);
  }
  Object.assign(node.dataset, dataset);
  node.append(...children.filter(child => child !== null && child !== undefined));
  return node;
}

async function call(url, options) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (failure) {
    throw new Error(`The service could not be reached: ${failure.message}`);
  }
  const body = (response.headers.get("Content-Type") ?? "").includes("json") ? await response.json() : null;
  if (!response.ok) {
    const failure = new Error(describeProblem(body) || `${response.status} ${response.statusText}`);
    Object.assign(failure, { status: response.status, problem: body });
    throw failure;
  }
  return body;
}

const getJson = (url, headers = {}) => call(url, { headers });

const sendJson = (url, body, headers = {}) => call(url, {
  method: "POST",
  headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
  body: body === undefined ? undefined : JSON.stringify(body),
});

function describeProblem(problem) {
  if (!problem) return "";
  const fields = Object.entries(problem.errors ?? {}).map(([field, messages]) => `${field}: ${messages.join(" ")}`);
  return [problem.title, problem.detail, ...fields].filter(Boolean).join("\n");
}

const isTerminal = status => ["succeeded", "failed", "cancelled"].includes(status);

// Local time as 2026-01-31 14:05:09: compact, sortable, and the same in every browser locale.
function formatTime(value) {
  if (!value) return "";
  const time = new Date(value);
  const pad = n => String(n).padStart(2, "0");
  return `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())} ` +
    `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}`;
}

// The API reference (Scalar) is served in Development only; elsewhere its link stays hidden.
async function showApiReferenceLink() {
  const link = document.getElementById("api-reference");
  const response = await fetch(link.href).catch(() => null);
  link.hidden = !response?.ok;
}
