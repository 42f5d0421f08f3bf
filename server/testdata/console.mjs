// console.mjs drives headless Chromium for TestBrowserConsole: the admin
// console at /admin/, used as a person would (clicks, typing, the keyboard),
// with a screenshot after each step. It reports what each step showed and
// what the browser said about the page (console errors, CSP violations).
// Usage: node console.mjs in.json out.json
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";

const [inPath, outPath] = process.argv.slice(2);
const input = JSON.parse(readFileSync(inPath, "utf8"));
const require = createRequire(input.nodeModules + "/");
const { chromium } = require("playwright-core");

const out = { steps: {}, fresh: [], consoleErrors: [], pageErrors: [], violations: [], unlabelled: [] };
const log = (...a) => console.log("[console]", ...a);

// Every securitypolicyviolation is kept where the test can read it.
const watchCSP = () => {
  window.__violations = [];
  document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective}: ${e.blockedURI}`));
};

const browser = await chromium.launch({ executablePath: input.chromium, args: input.chromiumArgs, timeout: 60_000 });
try {
  const newPage = async (errors) => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await ctx.route((url) => !url.href.startsWith(input.base), (route) => route.abort("blockedbyclient"));
    await ctx.addInitScript(watchCSP);
    const page = await ctx.newPage();
    page.on("console", (m) => { if (m.type() === "error") errors.push(`${m.text()} (${m.location().url})`); });
    page.on("pageerror", (e) => out.pageErrors.push(e.message));
    return page;
  };

  // A fresh load logs nothing at all.
  const fresh = await newPage(out.fresh);
  await fresh.goto(input.base + "/admin/");
  await fresh.evaluate(() => window.jwtgateConsole.ready);
  out.violations.push(...await fresh.evaluate(() => window.__violations));
  await fresh.context().close();

  const page = await newPage(out.consoleErrors);
  let shots = 0;
  // record takes what the page shows now as the step's result, and its
  // screenshot.
  const record = async (name, extra = {}) => {
    const seen = await page.evaluate(() => {
      const active = document.activeElement;
      const rows = {};
      for (const tr of document.querySelectorAll("#view-integrations:not([hidden]) #integrations tbody tr")) rows[tr.dataset.name] = tr.textContent;
      return {
        hash: location.hash, stored: !!sessionStorage.getItem("jwtgate-console-credential"), cookie: document.cookie,
        who: document.querySelector("#who").textContent, live: document.querySelector("#live").textContent,
        focus: active && active.tagName === "H1" ? active.closest("section").id : (active && active.id) || "",
        rows, navTenants: !document.querySelector("#nav").hidden && !document.querySelector("#nav-tenants").hidden,
      };
    });
    out.steps[name] = { ...seen, ...extra };
    shots++;
    await page.screenshot({ path: join(input.artifacts, `console-${String(shots).padStart(2, "0")}-${name}.png`), fullPage: true });
    log(name, JSON.stringify(out.steps[name]));
  };
  const visible = (view) => page.waitForSelector(`#${view}:not([hidden])`);
  const row = (name) => `#integrations tbody tr[data-name="${name}"]`;
  const fill = async (fields) => {
    for (const [sel, value] of Object.entries(fields)) await page.fill(sel, value);
  };
  const add = async (kind, fields, selects = {}) => {
    await page.click("#add-open");
    await visible("view-add");
    await page.check(`input[name="kind"][value="${kind}"]`);
    for (const [sel, value] of Object.entries(selects)) await page.selectOption(sel, value);
    await fill(fields);
    await page.click('#add-form button[type="submit"]');
  };

  // ---- A login link signs in; its code leaves the address bar. ------------
  await page.goto(input.loginURL);
  await page.evaluate(() => window.jwtgateConsole.ready);
  await visible("view-tenants");
  await record("signed-in", { tenants: await page.$$eval("#tenant-list button", (bs) => bs.map((b) => b.textContent)) });

  await page.click('#tenant-list button[data-tenant="acme"]');
  await visible("view-integrations");
  await record("tenant");

  // ---- Shared secret. ------------------------------------------------------
  const sh = input.shared;
  await add("shared", { "#f-name": sh.name, "#f-issuer": sh.issuer, "#f-secret": sh.secret, "#f-max-age": sh.maxAge });
  await page.waitForSelector(row(sh.name));
  await record("shared-added");

  // ---- The token tester. ------------------------------------------------------
  await page.click(`${row(sh.name)} button[data-action="test"]`);
  await visible("view-test");
  await page.fill("#test-token", input.validToken);
  await page.click('#test-form button[type="submit"]');
  await page.waitForSelector("#test-result .verdict");
  await record("tested", await page.evaluate(() => ({
    valid: document.querySelector("#test-result .verdict").classList.contains("valid"),
    checks: [...document.querySelectorAll("#test-result ol.trace li")].map((li) => `${li.className} ${li.querySelector(".step").textContent}`),
  })));
  await page.click("#view-test button.back");
  await visible("view-integrations");

  // ---- Public key (PEM). ---------------------------------------------------------
  const pk = input.public;
  await add("public", { "#f-name": pk.name, "#f-issuer": pk.issuer, "#f-pem": pk.pem, "#f-audiences": pk.audiences, "#f-claims": pk.claims, "#f-domains": pk.domains }, { "#f-alg": "RS256" });
  await page.waitForSelector(row(pk.name));
  await record("public-added");

  // ---- Remote validation. -----------------------------------------------------------
  const rv = input.remote;
  await add("remote", { "#f-name": rv.name, "#f-issuer": rv.issuer, "#f-secret": rv.secret, "#f-rv-url": rv.url }, { "#f-alg": "HS256", "#f-rv-subject": rv.subject });
  await page.waitForSelector(row(rv.name));
  await record("remote-added");

  // ---- A refused document: the reason beside its field, nothing moved. -------------
  const bad = input.short;
  await page.click("#add-open");
  await visible("view-add");
  await fill({ "#f-name": bad.name, "#f-issuer": bad.issuer, "#f-secret": bad.secret });
  const before = await page.evaluate(() => document.querySelector('#add-form button[type="submit"]').getBoundingClientRect().top);
  await page.click('#add-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector("#f-secret-error").textContent !== "");
  out.unlabelled = await page.evaluate(() => [...document.querySelectorAll("input, select, textarea")]
    .filter((i) => !i.labels || !i.labels.length).map((i) => i.id || i.name));
  await record("field-error", await page.evaluate((top) => ({
    fieldError: document.querySelector("#f-secret-error").textContent,
    invalid: document.querySelector("#f-secret").getAttribute("aria-invalid") === "true",
    summary: [...document.querySelectorAll("#add-problems li")].map((li) => li.textContent),
    shift: document.querySelector('#add-form button[type="submit"]').getBoundingClientRect().top - top,
  }), before));
  await page.click("#view-add button.back");
  await visible("view-integrations");

  // ---- Rollback: another admin changes jwt-auth; its revisions, a diff, roll back. ----
  await page.evaluate(async (name) => {
    const path = `/v1/admin/tenants/acme/integrations/${name}`;
    const auth = { Authorization: `Bearer ${sessionStorage.getItem("jwtgate-console-credential")}` };
    const doc = await (await fetch(path, { headers: auth })).json();
    doc.policy.max_age = "5m";
    const r = await fetch(path, { method: "PUT", headers: { ...auth, "If-Match": '"1"' }, body: JSON.stringify({ policy: doc.policy }) });
    if (r.status !== 200) throw new Error(`update: ${r.status} ${await r.text()}`);
  }, sh.name);
  await page.click(`${row(sh.name)} button[data-action="revisions"]`);
  await visible("view-revisions");
  await page.click('#revision-list li[data-revision="2"] button[data-action="diff"]');
  await page.waitForSelector('#revision-list li[data-revision="2"] .diff li');
  const diff = await page.$$eval('#revision-list li[data-revision="2"] .diff li', (lis) => lis.map((li) => li.textContent));
  await page.click('#revision-list li[data-revision="1"] button[data-action="rollback"]');
  await page.waitForSelector('#revision-list li[data-revision="3"]');
  await record("rolled-back", { diff, revisions: await page.$$eval("#revision-list > li", (lis) => lis.map((li) => li.querySelector("p").textContent)) });
  await page.click("#view-revisions button.back");
  await visible("view-integrations");

  // ---- Disconnect behind the dialog: Escape keeps it, the button disconnects. -----------
  await page.click(`${row(rv.name)} button[data-action="disconnect"]`);
  await page.waitForSelector("#confirm[open]");
  await record("dialog", { dialogOpen: await page.evaluate(() => document.querySelector("#confirm").open) });
  await page.keyboard.press("Escape");
  await page.waitForSelector("#confirm:not([open])", { state: "attached" });
  await record("kept");
  await page.click(`${row(rv.name)} button[data-action="disconnect"]`);
  await page.waitForSelector("#confirm[open]");
  await page.click("#confirm-ok");
  await page.waitForSelector(row(rv.name), { state: "detached" });
  await page.waitForFunction(() => document.querySelector("#live").textContent.includes("disconnected"));
  await record("disconnected");

  // ---- Sign out; a tenant admin signs in with the keyboard. ------------------------------
  await page.click("#sign-out");
  await visible("view-signin");
  await record("signed-out");
  // A wrong credential is refused at its field.
  await page.fill("#credential", "jwtgate_adm_not-a-credential");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("#credential-error").textContent !== "");
  await record("refused", { fieldError: await page.textContent("#credential-error") });
  await page.fill("#credential", "");
  await page.focus("#credential");
  await page.keyboard.type(input.tenantAdmin);
  await page.keyboard.press("Enter");
  await visible("view-integrations");
  await page.waitForSelector(row(sh.name));
  const other = await page.evaluate(async () => (await fetch("/v1/admin/tenants/globex/integrations", {
    headers: { Authorization: `Bearer ${sessionStorage.getItem("jwtgate-console-credential")}` },
  })).status);
  await record("tenant-admin", { other });

  out.violations.push(...await page.evaluate(() => window.__violations));
} finally {
  await browser.close();
}
writeFileSync(outPath, JSON.stringify(out));
