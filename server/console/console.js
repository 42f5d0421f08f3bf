// The admin console: a page over the admin API (/v1/admin/…, see
// /v1/admin/openapi.yaml). The credential is kept in sessionStorage and
// sent as a bearer on each fetch, never as a cookie, so that no other site
// can make the browser act with it (no CSRF). Everything shown is built
// with DOM nodes and textContent: names, issuers and reasons come from
// tenants and tokens.
import { checklist, el, humanize } from "./trace.js";

const CREDENTIAL_KEY = "jwtgate-console-credential";
const HMAC = ["HS256", "HS384", "HS512"];
const ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
const ALGORITHMS = { shared: HMAC, public: ASYMMETRIC, remote: [...HMAC, ...ASYMMETRIC] };

const $ = (sel) => document.querySelector(sel);

// state is what the console is looking at.
// edit is the integration open in the form (null: adding one): its
// document as read and its ETag. draft is the open draft's ETag.
const state = { who: null, tenant: "", integration: "", edit: null, draft: "" };

// ---- The API --------------------------------------------------------------

const credential = () => sessionStorage.getItem(CREDENTIAL_KEY) || "";

// api calls the admin API with the credential; the answer's body is parsed
// when it is JSON (a problem included). A refused credential signs out.
async function api(method, path, { body, headers = {}, anonymous = false } = {}) {
  const h = { ...headers };
  if (!anonymous) h.Authorization = `Bearer ${credential()}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  let r;
  try {
    r = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit", cache: "no-store" });
  } catch (e) {
    return { status: 0, ok: false, json: { detail: `The server could not be reached (${e.message}).` } };
  }
  const type = r.headers.get("Content-Type") || "";
  const json = type.includes("json") ? await r.json().catch(() => null) : null;
  const answer = { status: r.status, ok: r.ok, json: json || {}, etag: r.headers.get("ETag") || "" };
  if (r.status === 401 && !anonymous) {
    const why = "The credential was refused (unknown, expired or revoked): sign in again.";
    signOut(why, why);
  }
  return answer;
}

const tenantPath = (tenant) => `/v1/admin/tenants/${encodeURIComponent(tenant)}`;
const integrationPath = (name) => `${tenantPath(state.tenant)}/integrations/${encodeURIComponent(name)}`;

// problemText is a problem's headline: its detail, else its title.
const problemText = (p) => p.detail || p.title || `The request failed (${p.status || "no answer"}).`;

// ---- Views ------------------------------------------------------------------

function announce(text) {
  $("#live").textContent = text;
}

// show makes one view visible and moves the focus to its heading, so that
// a keyboard or screen reader user starts there.
function show(id) {
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== id;
  for (const s of document.querySelectorAll(".subject-name")) s.textContent = state.integration;
  $(`#${id} h1`).focus();
}

function showSignIn(message = "") {
  $("#nav").hidden = true;
  $("#who").textContent = "";
  $("#credential").value = "";
  $("#credential-error").textContent = message;
  show("view-signin");
}

// signOut forgets the credential; fieldMessage says, at the credential's
// input, why it was refused.
function signOut(message = "Signed out.", fieldMessage = "") {
  sessionStorage.removeItem(CREDENTIAL_KEY);
  state.who = null;
  state.tenant = state.integration = "";
  announce(message);
  showSignIn(fieldMessage);
}

// enter reads who the credential is and opens its first view.
async function enter() {
  const r = await api("GET", "/v1/admin/whoami");
  if (!r.ok) {
    if (r.status !== 401) showSignIn(problemText(r.json));
    return;
  }
  state.who = r.json;
  $("#who").textContent = r.json.operator ? `Signed in as the operator (${r.json.actor})`
    : `Signed in as the admin of ${r.json.tenant} (${r.json.actor})`;
  $("#nav").hidden = false;
  $("#nav-tenants").hidden = !r.json.operator;
  if (r.json.operator) await openTenants();
  else await openIntegrations(r.json.tenant);
}

// exchange spends a login link's code for a console credential.
async function exchange(code) {
  const r = await api("POST", "/v1/admin/login", { body: { code }, anonymous: true });
  if (!r.ok) {
    showSignIn(problemText(r.json));
    return false;
  }
  sessionStorage.setItem(CREDENTIAL_KEY, r.json.token);
  announce("Signed in by the login link.");
  return true;
}

async function signIn(ev) {
  ev.preventDefault();
  const value = $("#credential").value.trim();
  if (!value) {
    $("#credential-error").textContent = "Paste a token or a credential first.";
    $("#credential").focus();
    return;
  }
  sessionStorage.setItem(CREDENTIAL_KEY, value);
  await enter();
}

// ---- Tenants and integrations ----------------------------------------------

async function openTenants() {
  const r = await api("GET", "/v1/admin/tenants");
  if (!r.ok) return announce(problemText(r.json));
  const items = (r.json.tenants || []).map((t) => el("li", {},
    el("button", { type: "button", "data-tenant": t.id }, t.id),
    t.name ? ` ${t.name}` : "", el("small", {}, ` (${t.source})`)));
  $("#tenant-list").replaceChildren(...items);
  show("view-tenants");
}

async function openIntegrations(tenant) {
  state.tenant = tenant;
  state.integration = "";
  const r = await api("GET", `${tenantPath(tenant)}/integrations`);
  if (!r.ok) return announce(problemText(r.json));
  $("#tenant-name").textContent = tenant;
  const list = r.json.integrations || [];
  $("#integrations tbody").replaceChildren(...list.map(integrationRow));
  $("#integrations").hidden = !list.length;
  $("#integrations-empty").hidden = !!list.length;
  show("view-integrations");
}

function integrationRow(v) {
  const actions = el("td", { class: "actions" },
    el("button", { type: "button", "data-action": "test", "data-name": v.name }, "Test a token"));
  if (!v.read_only && v.revision) actions.append(el("button", { type: "button", "data-action": "edit", "data-name": v.name }, "Edit"));
  if (!v.read_only && v.draft_revision) actions.append(el("button", { type: "button", "data-action": "draft", "data-name": v.name }, "Draft"));
  if (!v.read_only) {
    actions.append(el("button", { type: "button", "data-action": "revisions", "data-name": v.name }, "Revisions"),
      el("button", { type: "button", "data-action": "disconnect", "data-name": v.name, "data-revision": String(v.revision || "") }, "Disconnect"));
  }
  const source = el("td", {}, v.source);
  if (v.read_only) source.append(" ", el("span", { class: "badge", title: "Defined by the configuration file: change it there" }, "read-only"));
  const status = el("td", { class: `status ${v.status}` }, v.status);
  if (v.problem) status.append(el("small", {}, ` ${v.problem}`));
  return el("tr", { "data-name": v.name, "data-source": v.source },
    el("th", { scope: "row" }, v.name), source, status,
    el("td", {}, v.revision ? String(v.revision) : "–"), el("td", {}, v.issuer || ""), actions);
}

async function onIntegrationAction(ev) {
  const b = ev.target.closest("button[data-action]");
  if (!b) return;
  state.integration = b.dataset.name;
  if (b.dataset.action === "test") openTester();
  if (b.dataset.action === "edit") await openEdit(b.dataset.name);
  if (b.dataset.action === "draft") await openDraft();
  if (b.dataset.action === "revisions") await openRevisions();
  if (b.dataset.action === "disconnect") confirmDisconnect(b);
}

// ---- Adding an integration ---------------------------------------------------

const kind = () => document.querySelector('input[name="kind"]:checked').value;
const isHMAC = (alg) => alg.startsWith("HS");
const list = (id) => $(id).value.split(",").map((s) => s.trim()).filter(Boolean);

// updateForm shows the fields of the kind, and the key of the algorithm.
function updateForm() {
  const k = kind();
  const alg = $("#f-alg");
  const algorithms = ALGORITHMS[k];
  if (alg.dataset.kind !== k) {
    const keep = algorithms.includes(alg.value) ? alg.value : algorithms[0];
    alg.replaceChildren(...algorithms.map((a) => el("option", { value: a }, a)));
    alg.value = keep;
    alg.dataset.kind = k;
  }
  for (const f of document.querySelectorAll("#add-form [data-kinds]")) f.hidden = !f.dataset.kinds.split(" ").includes(k);
  for (const f of document.querySelectorAll("#add-form [data-key]")) f.hidden = (f.dataset.key === "secret") !== isHMAC(alg.value);
}

// resetForm empties the form for adding (edit null) or editing.
function resetForm(edit) {
  state.edit = edit;
  $("#add-form").reset();
  clearProblems();
  $("#add-title").textContent = edit ? `Edit ${edit.name}` : "Add integration";
  $("#f-name").readOnly = !!edit;
  $("#f-kind").disabled = !!edit; // a kind's fields differ: add another instead
  $("#save-draft").hidden = !edit;
  $("#f-secret-kept").textContent = "";
  $('#add-form button[type="submit"]').textContent = edit ? "Save the change" : "Save the integration";
}

function openAdd() {
  resetForm(null);
  updateForm();
  show("view-add");
}

// ---- Editing an integration ------------------------------------------------------

const secretOf = (key) => key && key.secret && typeof key.secret === "object" ? key.secret.fingerprint : "";
const claimName = (c) => typeof c === "string" ? c : (c && c.name) || "";

// kindOf is the form's kind for a stored document.
function kindOf(doc) {
  if (doc.service && doc.service.remote_validation) return "remote";
  const algs = doc.policy.algorithms || [];
  return algs.length && !isHMAC(algs[0]) ? "public" : "shared";
}

// openEdit reads the integration and shows its document in the form; a
// secret shows as its fingerprint and is kept unless a new one is typed.
async function openEdit(name, note = "") {
  const r = await api("GET", integrationPath(name));
  if (!r.ok) return announce(problemText(r.json));
  const doc = { policy: r.json.policy || {} };
  if (r.json.service) doc.service = r.json.service;
  resetForm({ name, etag: r.etag, doc });
  state.integration = name;
  fillForm(name, doc);
  show("view-add");
  if (note) {
    $("#add-problems").replaceChildren(el("li", {}, note));
    announce(note);
  }
}

function fillForm(name, doc) {
  const p = doc.policy;
  document.querySelector(`input[name="kind"][value="${kindOf(doc)}"]`).checked = true;
  updateForm();
  const alg = (p.algorithms || [])[0];
  if (alg && !ALGORITHMS[kind()].includes(alg)) $("#f-alg").append(el("option", { value: alg }, alg));
  if (alg) $("#f-alg").value = alg;
  updateForm();
  const key = (p.keys || [])[0] || {};
  $("#f-name").value = name;
  $("#f-issuer").value = p.issuer || "";
  $("#f-pem").value = key.pem || "";
  $("#f-jwks-url").value = key.jwks_url || "";
  const fp = secretOf(key);
  if (fp) $("#f-secret-kept").textContent = `Kept: ${fp}. Type a new secret only to replace it.`;
  $("#f-max-age").value = p.max_age || "";
  $("#f-audiences").value = (p.audiences || []).join(", ");
  $("#f-claims").value = (p.required_claims || []).map(claimName).join(", ");
  $("#f-domains").value = ((p.redirect || {}).allowed_domains || []).join(", ");
  const rv = (doc.service || {}).remote_validation || {};
  $("#f-rv-url").value = rv.url || "";
  if (rv.subject_field && ![...$("#f-rv-subject").options].some((o) => o.value === rv.subject_field)) {
    $("#f-rv-subject").append(el("option", { value: rv.subject_field }, rv.subject_field));
  }
  if (rv.subject_field) $("#f-rv-subject").value = rv.subject_field;
}

// ---- The document -----------------------------------------------------------------

const visibleField = (id) => !$(id).closest(".field").hidden;

// setList sets (or, empty, removes) a list member of obj.
function setList(obj, member, values) {
  if (values.length) obj[member] = values;
  else delete obj[member];
}

// keysOf is the policy's keys with the form's first key: a secret left
// empty keeps the stored one (its placeholder goes back); the others and
// the key's own members (kid) are kept as read.
function keysOf(base) {
  const keys = structuredClone(base.keys || []);
  const first = { ...(keys[0] || {}) };
  for (const m of ["secret", "pem", "jwks", "jwks_url"]) delete first[m];
  const old = keys[0] || {};
  const typed = $("#f-secret").value;
  if (isHMAC($("#f-alg").value)) first.secret = typed || (secretOf(old) ? old.secret : "");
  else if ($("#f-jwks-url").value.trim() && !$("#f-pem").value.trim()) first.jwks_url = $("#f-jwks-url").value.trim();
  else first.pem = $("#f-pem").value.trim();
  keys[0] = first;
  return keys;
}

// buildDoc is the stored document: one entry of the policy's integrations
// (without name and tenant) and its service settings (docs/configuration.md).
// When editing, it is the document as read with the form's visible fields
// put in: the members the form does not show are sent back as they were.
function buildDoc() {
  const k = kind();
  const alg = $("#f-alg").value;
  const base = state.edit ? structuredClone(state.edit.doc) : { policy: {} };
  const policy = base.policy;
  policy.issuer = $("#f-issuer").value.trim();
  if ((policy.algorithms || [])[0] !== alg) policy.algorithms = [alg];
  policy.keys = keysOf(policy);
  if (visibleField("#f-max-age")) {
    const maxAge = $("#f-max-age").value.trim();
    if (maxAge) policy.max_age = maxAge;
    else delete policy.max_age;
  }
  if (visibleField("#f-audiences")) setList(policy, "audiences", list("#f-audiences"));
  if (visibleField("#f-claims")) {
    // A claim given with its type keeps it while its name stays listed.
    const old = policy.required_claims || [];
    setList(policy, "required_claims", list("#f-claims").map((n) => old.find((c) => claimName(c) === n) ?? n));
  }
  if (visibleField("#f-domains")) {
    const redirect = { ...(policy.redirect || {}) };
    setList(redirect, "allowed_domains", list("#f-domains"));
    if (Object.keys(redirect).length) policy.redirect = redirect;
    else delete policy.redirect;
  }
  const doc = { policy };
  if (base.service) doc.service = base.service;
  if (k === "remote") {
    doc.service = { ...(doc.service || {}) };
    doc.service.remote_validation = { ...(doc.service.remote_validation || {}), url: $("#f-rv-url").value.trim(), subject_field: $("#f-rv-subject").value };
  }
  return doc;
}

// FIELDS maps a problem's field (named as in the stored document) to its
// input: the longest prefix wins; keys depend on the key in use.
const FIELDS = [
  ["name", "f-name"], ["policy.issuer", "f-issuer"], ["policy.algorithms", "f-alg"], ["policy.max_age", "f-max-age"],
  ["policy.audiences", "f-audiences"], ["policy.required_claims", "f-claims"], ["policy.redirect", "f-domains"],
  ["service.remote_validation.subject_field", "f-rv-subject"], ["service.remote_validation", "f-rv-url"],
];

function inputFor(field) {
  let id = null;
  if (field.startsWith("policy.keys")) {
    if (field.endsWith(".jwks_url")) id = "f-jwks-url";
    else if (field.endsWith(".pem")) id = "f-pem";
    else if (field.endsWith(".secret")) id = "f-secret";
    else if (isHMAC($("#f-alg").value)) id = "f-secret";
    else id = $("#f-pem").value.trim() || !$("#f-jwks-url").value.trim() ? "f-pem" : "f-jwks-url";
  }
  for (const [path, input] of FIELDS) {
    if (!id && (field === path || field.startsWith(`${path}.`) || field.startsWith(`${path}[`))) id = input;
  }
  const input = id && document.getElementById(id);
  return input && !input.closest(".field").hidden ? input : null;
}

function clearProblems() {
  for (const p of document.querySelectorAll("#add-form .field-error")) p.textContent = "";
  for (const i of document.querySelectorAll("#add-form [aria-invalid]")) i.removeAttribute("aria-invalid");
  $("#add-problems").replaceChildren();
}

// showProblems puts each reason next to its field, the others in the
// summary, and moves the focus to the first field at fault.
function showProblems(p) {
  const errors = p.errors && p.errors.length ? p.errors : [{ field: "", reason: problemText(p) }];
  let first = null;
  for (const e of errors) {
    const input = inputFor(e.field || "");
    if (!input) {
      $("#add-problems").append(el("li", {}, e.field ? el("code", {}, e.field) : "", e.field ? ": " : "", e.reason));
      continue;
    }
    const out = document.getElementById(`${input.id}-error`);
    out.textContent = out.textContent ? `${out.textContent}; ${e.reason}` : e.reason;
    input.setAttribute("aria-invalid", "true");
    first ??= input;
  }
  announce(`The integration was refused: ${errors.length === 1 ? "one problem" : `${errors.length} problems`}.`);
  (first || $("#add-summary")).focus();
}

async function saveIntegration(ev) {
  ev.preventDefault();
  clearProblems();
  if (state.edit) return saveEdit();
  const name = $("#f-name").value.trim();
  if (!name) return showProblems({ errors: [{ field: "name", reason: "A name is required." }] });
  const r = await api("PUT", `${tenantPath(state.tenant)}/integrations/${encodeURIComponent(name)}`, {
    body: buildDoc(), headers: { "If-None-Match": "*" },
  });
  if (!r.ok) return showProblems(r.json);
  await openIntegrations(state.tenant);
  announce(`Integration ${name} saved (revision ${r.json.revision}, ${r.json.status}).`);
}

const CHANGED_ELSEWHERE = "It was changed by someone else since it was opened: reloaded, make the change again.";

// saveEdit updates the integration if it is still the revision read; a
// change made in between is reloaded, never overwritten.
async function saveEdit() {
  const { name, etag } = state.edit;
  const r = await api("PUT", integrationPath(name), { body: buildDoc(), headers: { "If-Match": etag } });
  if (r.status === 412) return openEdit(name, CHANGED_ELSEWHERE);
  if (!r.ok) return showProblems(r.json);
  await openIntegrations(state.tenant);
  announce(r.json.changed === false ? `Integration ${name}: nothing changed.`
    : `Integration ${name} saved (revision ${r.json.revision}, ${r.json.status}).`);
}

// saveDraft stores the form's document as the draft, which runs in the
// shadow of the live revision, and opens the draft.
async function saveDraft() {
  clearProblems();
  const { name } = state.edit;
  const r = await api("PUT", `${integrationPath(name)}/draft`, { body: buildDoc() });
  if (!r.ok) return showProblems(r.json);
  await openDraft();
  announce(`Draft of ${name} saved (revision ${r.json.draft_revision}); it now runs in the shadow of the live revision.`);
}

// ---- The token tester ----------------------------------------------------------

function openTester() {
  $("#test-token").value = "";
  $("#test-result").replaceChildren();
  show("view-test");
}

async function testToken(ev) {
  ev.preventDefault();
  const token = $("#test-token").value.trim();
  const box = $("#test-result");
  if (!token) {
    box.replaceChildren(el("p", { class: "error" }, "Paste a token first."));
    return;
  }
  const r = await api("POST", `${integrationPath(state.integration)}/test`, { body: { token } });
  if (!r.ok) {
    box.replaceChildren(el("p", { class: "error" }, problemText(r.json)));
    announce("The token could not be tested.");
    return;
  }
  const d = r.json;
  const verdict = el("div", { class: `verdict ${d.valid ? "valid" : "invalid"}`, "data-code": d.code || "" },
    el("span", { class: "mark", "aria-hidden": "true" }, d.valid ? "✓" : "✗"),
    el("div", {}, el("h2", {}, d.valid ? "Valid token" : `Invalid: ${d.message}`),
      d.valid ? el("p", {}, `Accepted by integration “${d.integration}”${d.subject ? `, subject ${d.subject}` : ""}.`)
        : el("p", {}, el("code", {}, d.code), " — ", humanize(d.reason || ""))));
  const checks = checklist(d);
  box.replaceChildren(verdict, ...(checks ? [el("h3", {}, "Checks"), checks] : []));
  announce(d.valid ? "The token is valid." : `The token is invalid: ${d.message}.`);
}

// ---- Revisions, rollback, disconnect ------------------------------------------------

async function openRevisions() {
  const r = await api("GET", `${integrationPath(state.integration)}/revisions`);
  if (!r.ok) return announce(problemText(r.json));
  const revs = r.json.revisions || [];
  const live = revs.length && revs[0].kind !== "delete" ? revs[0].revision : 0;
  $("#revision-list").replaceChildren(...revs.map((v) => revisionItem(v, live)));
  show("view-revisions");
}

function revisionItem(v, live) {
  const li = el("li", { "data-revision": String(v.revision) },
    el("p", {}, el("strong", {}, `Revision ${v.revision}`), ` ${v.kind} by ${v.author}, ${v.created_at}`,
      v.note ? ` (${v.note})` : "", v.revision === live ? el("span", { class: "badge" }, "live") : ""),
    el("button", { type: "button", "data-action": "diff", "aria-expanded": "false" }, "Show the diff"));
  if (v.revision !== live && v.kind !== "delete") {
    li.append(el("button", { type: "button", "data-action": "rollback" }, "Roll back to this"));
  }
  li.append(el("div", { class: "diff" }));
  return li;
}

async function onRevisionAction(ev) {
  const b = ev.target.closest("button[data-action]");
  if (!b) return;
  const li = b.closest("li");
  const n = Number(li.dataset.revision);
  if (b.dataset.action === "diff") await toggleDiff(b, li, n);
  if (b.dataset.action === "rollback") await rollback(n);
}

async function toggleDiff(button, li, n) {
  const box = li.querySelector(".diff");
  if (button.getAttribute("aria-expanded") === "true") {
    box.replaceChildren();
    button.setAttribute("aria-expanded", "false");
    return;
  }
  const r = await api("GET", `${integrationPath(state.integration)}/revisions/${n}`);
  if (!r.ok) return announce(problemText(r.json));
  box.replaceChildren(diffList(r.json.diff, "No change from the revision before."));
  button.setAttribute("aria-expanded", "true");
}

// diffList shows a document's changes, one per path.
function diffList(changes, none) {
  const items = (changes || []).map((c) => el("li", { class: c.op },
    el("code", {}, c.path || "(the document)"), ` ${c.op}`,
    c.from !== undefined ? el("span", { class: "from" }, ` from ${JSON.stringify(c.from)}`) : "",
    c.to !== undefined ? el("span", { class: "to" }, ` to ${JSON.stringify(c.to)}`) : ""));
  return items.length ? el("ul", {}, ...items) : el("p", {}, none);
}

async function rollback(n) {
  const head = await api("GET", integrationPath(state.integration));
  const headers = head.ok && head.etag ? { "If-Match": head.etag } : {};
  if (!head.ok && head.status !== 404) return announce(problemText(head.json));
  const r = await api("POST", `${integrationPath(state.integration)}/rollback`, { body: { revision: n }, headers });
  if (!r.ok) {
    const reasons = (r.json.errors || []).map((e) => `${e.field}: ${e.reason}`).join("; ");
    return announce(`The rollback was refused: ${problemText(r.json)}${reasons ? ` (${reasons})` : ""}`);
  }
  await openRevisions();
  announce(`Rolled back to revision ${n}: now revision ${r.json.revision}.`);
}

// pending is the action the confirmation dialog asks about.
let pending = null;

// confirmThen asks, in the dialog, before run: ok names the action, and
// danger marks one that cannot be taken back.
function confirmThen({ title, text, ok, cancel, danger = true, run }) {
  pending = run;
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = ok;
  $("#confirm-ok").className = danger ? "danger" : "primary";
  $("#confirm-cancel").textContent = cancel;
  $("#confirm").showModal();
}

async function confirmed() {
  const run = pending;
  $("#confirm").close();
  pending = null;
  if (run) await run();
}

function confirmDisconnect(button) {
  const target = { name: button.dataset.name, revision: button.dataset.revision };
  confirmThen({
    title: `Disconnect ${target.name}?`, ok: "Disconnect", cancel: "Keep it",
    text: "Its tokens are refused from the next request and its sessions end. Its revisions are kept: it can be rolled back.",
    run: () => disconnect(target),
  });
}

async function disconnect(target) {
  const headers = target.revision ? { "If-Match": `"${target.revision}"` } : {};
  const r = await api("DELETE", integrationPath(target.name), { headers });
  if (!r.ok) return announce(`Not disconnected: ${problemText(r.json)}`);
  await openIntegrations(state.tenant);
  announce(`Integration ${target.name} disconnected.`);
}

// ---- Drafts and the shadow tally ----------------------------------------------------

// openDraft shows the draft of state.integration: its change from the
// live revision and how it has fared on real requests so far.
async function openDraft() {
  if (!(await loadDraft())) return;
  show("view-draft");
}

// loadDraft fills the draft view; false when there is no draft to show.
async function loadDraft() {
  const r = await api("GET", `${integrationPath(state.integration)}/draft`);
  if (!r.ok) {
    announce(r.status === 404 ? `${state.integration} has no draft.` : problemText(r.json));
    return false;
  }
  const { draft, shadow } = r.json;
  state.draft = r.etag;
  $("#draft-head").textContent = `Draft revision ${draft.draft_revision} by ${draft.updated_by || "?"}, beside live revision ${draft.revision || "none"}.`;
  $("#draft-diff").replaceChildren(diffList(draft.diff, "The draft is the live document."));
  $("#draft-compared").textContent = String(shadow.compared);
  $("#draft-differed").textContent = String(shadow.differed);
  const samples = shadow.samples || [];
  $("#draft-samples tbody").replaceChildren(...samples.map(sampleRow));
  $("#draft-samples").hidden = !samples.length;
  $("#draft-no-samples").hidden = !!samples.length;
  return true;
}

function sampleRow(s) {
  const failed = [s.live_failed_check ? `live: ${s.live_failed_check}` : "", s.draft_failed_check ? `draft: ${s.draft_failed_check}` : ""]
    .filter(Boolean).join("; ");
  return el("tr", {}, el("td", {}, el("time", { datetime: s.at }, new Date(s.at).toLocaleString())),
    el("td", {}, el("code", {}, s.live_code)), el("td", {}, el("code", {}, s.draft_code)), el("td", {}, failed || "–"));
}

async function refreshDraft() {
  if (await loadDraft()) {
    announce(`Tally refreshed: ${$("#draft-compared").textContent} compared, ${$("#draft-differed").textContent} differed.`);
  }
}

function confirmPromote() {
  confirmThen({
    title: `Promote the draft of ${state.integration}?`, ok: "Promote", cancel: "Keep the draft", danger: false,
    text: "It becomes the live revision and decides every request from now on. The revision before stays: it can be rolled back.",
    run: promote,
  });
}

function confirmDiscard() {
  confirmThen({
    title: `Discard the draft of ${state.integration}?`, ok: "Discard", cancel: "Keep the draft",
    text: "It stops running in shadow and its tally is dropped. The live revision is not changed.",
    run: discard,
  });
}

// draftChanged reloads the draft that another admin replaced.
async function draftChanged() {
  if (await loadDraft()) $("#draft-head").append(" ", el("strong", {}, CHANGED_ELSEWHERE));
  announce(CHANGED_ELSEWHERE);
}

async function promote() {
  const name = state.integration;
  const r = await api("POST", `${integrationPath(name)}/draft/promote`, { headers: { "If-Match": state.draft } });
  if (r.status === 412) return draftChanged();
  if (!r.ok) return announce(`Not promoted: ${problemText(r.json)}`);
  await openIntegrations(state.tenant);
  announce(`The draft of ${name} is live: revision ${r.json.revision}.`);
}

async function discard() {
  const name = state.integration;
  const r = await api("DELETE", `${integrationPath(name)}/draft`, { headers: { "If-Match": state.draft } });
  if (r.status === 412) return draftChanged();
  if (!r.ok) return announce(`Not discarded: ${problemText(r.json)}`);
  await openIntegrations(state.tenant);
  announce(`The draft of ${name} is discarded.`);
}

// ---- Wiring ---------------------------------------------------------------------

function wire() {
  $("#signin-form").addEventListener("submit", signIn);
  $("#sign-out").addEventListener("click", () => signOut());
  $("#nav-tenants").addEventListener("click", openTenants);
  $("#tenant-list").addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-tenant]");
    if (b) openIntegrations(b.dataset.tenant);
  });
  $("#add-open").addEventListener("click", openAdd);
  $("#integrations").addEventListener("click", onIntegrationAction);
  for (const r of document.querySelectorAll('input[name="kind"]')) r.addEventListener("change", updateForm);
  $("#f-alg").addEventListener("change", updateForm);
  $("#add-form").addEventListener("submit", saveIntegration);
  $("#save-draft").addEventListener("click", saveDraft);
  $("#draft-refresh").addEventListener("click", refreshDraft);
  $("#draft-promote").addEventListener("click", confirmPromote);
  $("#draft-discard").addEventListener("click", confirmDiscard);
  $("#test-form").addEventListener("submit", testToken);
  $("#revision-list").addEventListener("click", onRevisionAction);
  for (const b of document.querySelectorAll("button.back")) b.addEventListener("click", () => openIntegrations(state.tenant));
  $("#confirm-ok").addEventListener("click", confirmed);
  $("#confirm-cancel").addEventListener("click", () => $("#confirm").close());
  $("#confirm").addEventListener("close", () => { pending = null; });
}

async function main() {
  wire();
  updateForm();
  // A login link: the code is in the fragment, which no server sees; it is
  // spent at once and taken off the address bar and the history.
  const m = /^#login=([^&]+)$/.exec(location.hash);
  if (m) {
    history.replaceState(null, "", location.pathname + location.search);
    if (!(await exchange(decodeURIComponent(m[1])))) return;
  }
  if (credential()) await enter();
  else showSignIn();
}

// Tests wait on this.
window.jwtgateConsole = { ready: main() };
