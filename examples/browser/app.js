// The page: paste a token, see the decision, the claims and the explain
// trace as a checklist. Everything runs in this page (jwtgate.js).
import { JWTGate, PolicyError } from "./jwtgate.js";
// The checklist is shared with the admin console (internal/traceview).
import { checklist, el, humanDuration, humanize } from "./trace.js";

// The demo keys are public test data, made for this page only.
const DEMO_EC_PRIVATE = {
  kty: "EC", crv: "P-256", kid: "k1",
  x: "fdjRdmIYrJ8FoxNRSCwzX29Z8fwFy5CSDIKdi8V_Xhg",
  y: "MxfIfKwniAVJfA--UCWaHbfhYqnlP29eXcy1EGLfi9U",
  d: "CiPnsR2wkq2G_ctJPgEEDn221c0WF052BSmbKruzEFQ",
};
const DEMO_ED_PRIVATE = {
  kty: "OKP", crv: "Ed25519",
  x: "VzjHGYvxvMIfUm9mE5VojXufNo5Y2RolY--iWZeYgZk",
  d: "Q5epwJJqOYDK8zUPHNSG0xltgtQrTKd9OdJyFlKnN4c",
};
const DEMO_ISSUER = "https://login.demo.example";
const DEMO_ED_ISSUER = "https://ed.demo.example";

// A policy in a page is public: it holds public keys only (a shared secret
// is refused at load, since anyone could read it and mint tokens). The
// module reads JSON: a bundle from "jwtgate policy build", or the same by
// hand, as here: two integrations, public keys inline.
const DEMO_POLICY = JSON.stringify({
  integrations: [
    {
      name: "demo", tenant: "acme", issuer: DEMO_ISSUER, audiences: ["demo-app"], algorithms: ["ES256"],
      keys: [{ jwks: { keys: [{ kty: "EC", crv: "P-256", kid: "k1", use: "sig", x: DEMO_EC_PRIVATE.x, y: DEMO_EC_PRIVATE.y }] } }],
      required_claims: ["email"],
      require_roles: { any: ["reader", "admin"] },
      headers: { "X-User": "sub", "X-Email": "email" },
    },
    {
      name: "demo-ed", issuer: DEMO_ED_ISSUER, algorithms: ["EdDSA"],
      keys: [{ jwks: { keys: [{ kty: "OKP", crv: "Ed25519", kid: "ed-1", x: DEMO_ED_PRIVATE.x }] } }],
    },
  ],
}, null, 2) + "\n";

const $ = (sel) => document.querySelector(sel);

// ---- Demo tokens, minted with WebCrypto -----------------------------------

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const b64json = (v) => b64url(new TextEncoder().encode(JSON.stringify(v)));

async function mintDemo(kind, nowSec) {
  const now = Math.floor(nowSec);
  if (kind === "garbage") return "this is not a token";
  const claims = {
    iss: DEMO_ISSUER, sub: "user-42", aud: "demo-app", email: "ada@demo.example",
    name: "Ada Lovelace", roles: ["reader"], iat: now - 60, exp: now + 3600,
  };
  if (kind === "expired") Object.assign(claims, { iat: now - 3900, exp: now - 300 });
  if (kind === "norole") claims.roles = ["guest"];
  if (kind === "ed") {
    Object.assign(claims, { iss: DEMO_ED_ISSUER });
    const input = `${b64json({ alg: "EdDSA", typ: "JWT", kid: "ed-1" })}.${b64json(claims)}`;
    const key = await crypto.subtle.importKey("jwk", DEMO_ED_PRIVATE, { name: "Ed25519" }, false, ["sign"]);
    return `${input}.${b64url(await crypto.subtle.sign({ name: "Ed25519" }, key, new TextEncoder().encode(input)))}`;
  }
  const input = `${b64json({ alg: "ES256", typ: "JWT", kid: "k1" })}.${b64json(claims)}`;
  const key = await crypto.subtle.importKey("jwk", { ...DEMO_EC_PRIVATE, kid: undefined }, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, new TextEncoder().encode(input)));
  if (kind === "badsig") sig[0] ^= 0x01;
  return `${input}.${b64url(sig)}`;
}

// ---- Human phrasing ---------------------------------------------------------

function relative(seconds, nowSec) {
  const d = Math.round(seconds - nowSec);
  const words = humanDuration(Math.floor(Math.abs(d) / 3600), Math.floor((Math.abs(d) % 3600) / 60), Math.abs(d) % 60);
  return d >= 0 ? `in ${words}` : `${words} ago`;
}

function dateText(seconds) {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? String(seconds) : d.toISOString().replace(".000Z", "Z");
}

// ---- Rendering --------------------------------------------------------------

function renderError(title, message) {
  const box = $("#result");
  box.replaceChildren(el("div", { class: "error", role: "alert" }, el("strong", {}, title), message));
}

function renderDecision(d, nowSec) {
  const box = $("#result");
  const parts = [];
  parts.push(el("div", { class: `verdict ${d.valid ? "valid" : "invalid"}`, "data-code": d.code || "" },
    el("span", { class: "mark", "aria-hidden": "true" }, d.valid ? "✓" : "✗"),
    el("div", {},
      el("h2", {}, d.valid ? "Valid token" : `Invalid: ${d.message}`),
      d.valid ? el("p", {}, `Accepted by integration “${d.integration}”.`)
        : el("p", {}, el("code", {}, d.code), " — ", humanize(d.reason || "")))));

  const facts = [];
  const fact = (k, v) => { if (v !== undefined && v !== "" && v !== null) facts.push(el("dt", {}, k), el("dd", {}, v)); };
  fact("Integration", d.integration);
  fact("Tenant", d.tenant);
  fact("Issuer", d.issuer);
  fact("Subject", d.subject);
  fact("Audience", d.audience && d.audience.join(", "));
  if (d.expires_at) fact("Expires", `${dateText(d.expires_at)} (${relative(d.expires_at, nowSec)})`);
  fact("Roles", d.roles && (d.roles.join(", ") || "none"));
  fact("Groups", d.groups && (d.groups.join(", ") || "none"));
  fact("Permissions", d.permissions && (d.permissions.join(", ") || "none"));
  fact("Redirect", d.redirect);
  if (d.headers) fact("Headers", Object.entries(d.headers).map(([k, v]) => `${k}: ${v}`).join("\n"));
  if (facts.length) parts.push(el("h3", {}, "Identity"), el("dl", { class: "facts" }, ...facts));

  const checks = checklist(d);
  if (checks) parts.push(el("h3", {}, "Checks"), checks);

  if (d.claims && typeof d.claims === "object") {
    const rows = Object.entries(d.claims).map(([k, v]) => {
      const cell = el("td", {}, typeof v === "string" ? v : JSON.stringify(v));
      if ((k === "exp" || k === "iat" || k === "nbf") && typeof v === "number") {
        cell.append(el("small", {}, `${dateText(v)} (${relative(v, nowSec)})`));
      }
      return el("tr", {}, el("th", { scope: "row" }, k), cell);
    });
    parts.push(el("h3", {}, "Claims ", el("small", {}, "(shown only once the signature is verified)")),
      el("table", { class: "claims" }, el("tbody", {}, ...rows)));
  }
  parts.push(el("details", { class: "raw" }, el("summary", {}, "Decision JSON"), el("pre", { class: "json" }, JSON.stringify(d, null, 2))));
  box.replaceChildren(...parts);
}

// ---- Wiring -----------------------------------------------------------------

function parseNow(text) {
  text = text.trim();
  if (!text) return Date.now() / 1000;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new Error(`“${text}” is neither Unix seconds nor a date (such as 2026-11-25T12:00:00Z).`);
  return t / 1000;
}

// The module's URL as the page names it (content-hashed when served by
// browser.Handler), so that the preloaded copy is the one compiled.
const MODULE_URL = new URL(document.querySelector('meta[name="jwtgate-wasm"]')?.content || "jwtgate.wasm", document.baseURI);

let gate = null;
let gatePolicy = null;

async function gateFor(policy) {
  // A policy with one-time tokens gets a fresh gate for each check, so that
  // checking the same token twice here is not reported as a replay.
  if (gate && gatePolicy === policy && !gate.oneTimeUse) return gate;
  if (gate) gate.close();
  gate = null;
  gate = await JWTGate.load({ policy, name: "policy", wasmURL: MODULE_URL });
  gatePolicy = policy;
  return gate;
}

async function check(at) {
  const token = $("#token").value.trim();
  const status = $("#status");
  status.textContent = "";
  let nowSec = at;
  try {
    nowSec ??= parseNow($("#now").value);
  } catch (e) {
    renderError("The time to check at is not understood", e.message);
    return;
  }
  if (!token) {
    renderError("No token", "Paste a token (a compact JWS or JWE: base64url parts separated by dots), or pick a demo token.");
    return;
  }
  let g;
  try {
    g = await gateFor($("#policy").value);
  } catch (e) {
    if (e instanceof PolicyError) {
      renderError("The policy was refused", e.message);
    } else {
      renderError("The verifier could not start", e.message || String(e));
    }
    return;
  }
  try {
    const t0 = performance.now();
    const d = await g.verify(token, { now: nowSec, explain: true });
    status.textContent = `Checked in ${(performance.now() - t0).toFixed(1)} ms, at ${dateText(nowSec)}.`;
    renderDecision(d, nowSec);
  } catch (e) {
    renderError("The token could not be checked", e.message || String(e));
  }
}

window.addEventListener("error", (ev) => renderError("Something went wrong", ev.message || String(ev.error)));
window.addEventListener("unhandledrejection", (ev) => renderError("Something went wrong", (ev.reason && ev.reason.message) || String(ev.reason)));

async function main() {
  $("#policy").value = DEMO_POLICY;
  $("#reset-policy").addEventListener("click", () => { $("#policy").value = DEMO_POLICY; });
  $("#form").addEventListener("submit", (ev) => { ev.preventDefault(); check(undefined); });
  for (const b of document.querySelectorAll("[data-demo]")) {
    b.addEventListener("click", async () => {
      try {
        if (!globalThis.crypto || !crypto.subtle) throw new Error("WebCrypto is not available (the page must be served over https or from localhost).");
        $("#policy").value = DEMO_POLICY;
        const at = Math.floor(parseNow($("#now").value)); // minted and checked at one time
        $("#token").value = await mintDemo(b.dataset.demo, at);
        await check(at);
      } catch (e) {
        renderError("Could not make the demo token", e.message || String(e));
      }
    });
  }
  const status = $("#status");
  try {
    const t0 = performance.now();
    await gateFor(DEMO_POLICY);
    status.textContent = `Verifier ready (${gate.goVersion}, loaded in ${Math.round(performance.now() - t0)} ms).`;
    $("#check").disabled = false;
    return true;
  } catch (e) {
    status.textContent = "";
    renderError("The verifier could not start", e.message || String(e));
    return false;
  }
}

// Tests wait on this.
window.jwtgatePage = { ready: main() };
