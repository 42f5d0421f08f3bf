// trace.js renders a decision's explain trace as a checklist: one item per
// check with ✓/✗/–/ℹ, the check's title and its detail in words. The
// browser example and the admin console both load it (internal/traceview
// serves it to each), so a trace reads the same wherever it is shown.
// It builds DOM nodes only (no innerHTML): a detail is the token's text.

export const STEP_TITLES = {
  time: "Current time", size: "Token size", format: "Format", header: "Header", payload: "Payload",
  issuer: "Issuer", algorithm: "Algorithm", keys: "Keys", signature: "Signature", decryption: "Decryption",
  exp: "Expiry", nbf: "Not before", iat: "Issued at", max_age: "Maximum age", aud: "Audience",
  required_claims: "Required claims", subject: "Subject", permissions: "Permissions", roles: "Roles",
  groups: "Groups", redirect: "Redirect", headers: "Upstream headers", jti: "One-time use",
  decision: "Decision", internal: "Internal",
};
// STEP_ORDER is the core's check order (core/doc.go). After a failed check
// the checklist lists the checks that did not run as skipped, so a reader
// sees what was never looked at.
export const STEP_ORDER = ["size", "format", "header", "issuer", "algorithm", "keys", "signature", "exp", "nbf", "iat",
  "max_age", "aud", "required_claims", "subject", "permissions", "roles", "groups", "redirect", "headers", "jti"];
const ICONS = { pass: "✓", fail: "✗", skip: "–", info: "ℹ" };
const OUTCOME_WORDS = { pass: "passed", fail: "failed", skip: "skipped", info: "note" };

function plural(n, unit) {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

// humanDuration turns Go's duration spelling (1h2m3s, 5m0s, 30s) into words.
export function humanDuration(h, m, s) {
  h = Number(h || 0); m = Number(m || 0); s = Number(s || 0);
  const parts = [];
  const days = Math.floor(h / 24);
  if (days >= 2) { parts.push(plural(days, "day")); h -= days * 24; }
  if (h) parts.push(plural(h, "hour"));
  if (m) parts.push(plural(m, "minute"));
  if (s) parts.push(plural(s, "second"));
  if (!parts.length) return "0 seconds";
  return parts.slice(0, 2).join(" ");
}

// humanize rewrites a step's detail for a reader: durations in words, the
// key that signed named first.
export function humanize(detail) {
  return detail
    .replace(/\b(?:(\d+)h)?(?:(\d+)m)?(\d+(?:\.\d+)?)s\b/g, (_, h, m, s) => humanDuration(h, m, Math.round(Number(s))))
    .replace(/ by (.+?) kid "([^"]*)"/, ' by key $2 ($1)');
}

// withSkipped is a refused decision's trace followed by the checks that
// come after the failed one and never ran.
export function withSkipped(d) {
  const last = d.trace[d.trace.length - 1];
  const at = STEP_ORDER.indexOf(last.step);
  if (d.valid || last.outcome !== "fail" || at < 0) return d.trace;
  const ran = new Set(d.trace.map((s) => s.step));
  const rest = STEP_ORDER.slice(at + 1).filter((step) => !ran.has(step))
    .map((step) => ({ step, outcome: "skip", detail: "not checked: an earlier check failed" }));
  return [...d.trace, ...rest];
}

// el builds an element: attributes (class as the className), then the
// children, nodes or text (null and undefined skipped). The pages that
// load this module build their DOM with it too.
export const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
};

function span(cls, text, title) {
  return el("span", title ? { class: cls, title } : { class: cls }, text);
}

// checklist is the decision's trace as <ol class="trace">: each <li> has
// the outcome as its class, the step as data-step, and .icon, .step and
// .detail spans. A decision without a trace gives null.
export function checklist(d) {
  if (!d || !Array.isArray(d.trace) || !d.trace.length) return null;
  const ol = document.createElement("ol");
  ol.className = "trace";
  for (const s of withSkipped(d)) {
    const li = document.createElement("li");
    li.className = s.outcome;
    li.dataset.step = s.step;
    li.append(span("icon", ICONS[s.outcome] || "•", OUTCOME_WORDS[s.outcome] || s.outcome),
      span("step", STEP_TITLES[s.step] || s.step), span("detail", humanize(s.detail || "")));
    ol.append(li);
  }
  return ol;
}
