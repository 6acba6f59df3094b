// Renders /openapi.json as a list of operations grouped by tag, with their parameters,
// request and response schemas. Self-contained: no framework, no network but the document.
"use strict";

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function schemaText(schema, doc) {
  const ref = schema && schema["$ref"];
  if (ref) {
    const name = ref.split("/").pop();
    const target = ((doc.components || {}).schemas || {})[name];
    return name + " " + JSON.stringify(target, null, 2);
  }
  return JSON.stringify(schema, null, 2);
}

function jsonSchemaOf(content) {
  const json = content && content["application/json"];
  return json && json.schema;
}

function operation(path, method, op, doc) {
  const m = method.toUpperCase();
  const summary = el("summary", {}, el("span", { class: "method " + m }, m), el("code", {}, path),
    " — " + (op.summary || op.operationId || ""));
  if (op.security && op.security.length) summary.append(el("span", { class: "lock" }, "login required"));
  const body = el("div", { class: "op-body" });
  if (op.operationId) body.append(el("p", {}, "operationId: ", el("code", {}, op.operationId)));
  if (op.parameters && op.parameters.length) {
    const rows = op.parameters.map(p => el("tr", {}, el("td", {}, el("code", {}, p.name)),
      el("td", {}, p.in), el("td", {}, p.required ? "required" : "optional")));
    body.append(el("h4", {}, "Parameters"), el("table", {}, ...rows));
  }
  const req = op.requestBody && jsonSchemaOf(op.requestBody.content);
  if (req) body.append(el("h4", {}, "Request body"), el("pre", {}, schemaText(req, doc)));
  body.append(el("h4", {}, "Responses"));
  for (const [status, res] of Object.entries(op.responses || {})) {
    const s = jsonSchemaOf(res.content);
    body.append(el("p", {}, el("strong", {}, status), " " + (res.description || "")));
    if (s && !String(status).startsWith("4") && !String(status).startsWith("5")) {
      body.append(el("pre", {}, schemaText(s, doc)));
    }
  }
  return el("details", {}, summary, body);
}

async function main() {
  const root = document.getElementById("api");
  let doc;
  try {
    const res = await fetch("/openapi.json");
    doc = await res.json();
  } catch (e) {
    root.textContent = "Could not load /openapi.json: " + e;
    return;
  }
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  const groups = new Map();
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of ["get", "post", "put", "patch", "delete"]) {
      const op = item[method];
      if (!op) continue;
      const tag = (op.tags && op.tags[0]) || "other";
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push(operation(path, method, op, doc));
    }
  }
  root.textContent = "";
  for (const [tag, ops] of groups) root.append(el("h2", {}, tag), ...ops);
}

main();
