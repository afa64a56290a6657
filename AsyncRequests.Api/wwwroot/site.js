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

const sendJson = (url, body, headers = {}, method = "POST") => call(url, {
  method,
  headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
  body: body === undefined ? undefined : JSON.stringify(body),
});

function describeProblem(problem) {
  if (!problem) return "";
  const fields = Object.entries(problem.errors ?? {}).map(([field, messages]) => `${field}: ${messages.join(" ")}`);
  return [problem.title, problem.detail, ...fields].filter(Boolean).join("\n");
}

const isTerminal = status => ["succeeded", "failed", "cancelled"].includes(status);

// A request's Server-Sent Events read with fetch, since EventSource cannot send an Authorization header.
// A dropped stream is resumed after the last event seen, as EventSource would, until the request is terminal;
// a refusal (4xx) ends it with an Error carrying the status.
async function followEvents(url, headers, onStatus, signal) {
  let lastEventId = null;
  for (;;) {
    try {
      const response = await fetch(url, { headers: lastEventId ? { ...headers, "Last-Event-ID": lastEventId } : headers, signal });
      if (!response.ok) {
        const failure = new Error(`Following the request failed: ${response.status} ${response.statusText}`);
        throw Object.assign(failure, { status: response.status });
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        const blocks = (buffer + chunk.value).replace(/\r\n?/g, "\n").split("\n\n");
        buffer = blocks.pop();
        for (const block of blocks) {
          const event = { event: "message", data: [] };
          for (const line of block.split("\n")) {
            const [, field, value] = /^([^:]*):? ?(.*)$/.exec(line);
            if (field === "data") event.data.push(value); else event[field] = value;
          }
          if (event.id) lastEventId = event.id;
          if (event.event !== "status") continue;
          const request = JSON.parse(event.data.join("\n"));
          onStatus(request);
          if (isTerminal(request.status)) {
            reader.cancel();
            return;
          }
        }
      }
    } catch (failure) {
      if (signal.aborted || (failure.status >= 400 && failure.status < 500)) throw failure;
    }
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
}

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
