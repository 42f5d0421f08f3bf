// console.mjs drives headless Chromium for TestBrowserConsole: the admin
// console at /admin/, used as a person would (clicks, typing, the keyboard),
// with a screenshot after each step. It reports what each step showed and
// what the browser said about the page (console errors, CSP violations).
// Where Go must act between two steps (send tokens, watch a second
// instance), the script asks input.hook and waits for its answer.
// input.flow "propagation" runs the short flow of TestBrowserConsolePropagation.
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
const prefix = input.shotPrefix || "console";

// hook asks the Go test to act, and waits for what it answers.
const hook = async (path) => {
  const r = await fetch(input.hook + path, { method: "POST" });
  if (!r.ok) throw new Error(`hook ${path}: ${r.status} ${await r.text()}`);
  const answer = await r.json();
  log("hook", path, JSON.stringify(answer));
  return answer;
};

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
    await page.screenshot({ path: join(input.artifacts, `${prefix}-${String(shots).padStart(2, "0")}-${name}.png`), fullPage: true });
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

  // propagation adds an integration and disconnects it, each time waiting
  // for Go to see the decision on the second instance.
  async function propagation() {
    const sh = input.shared;
    await add("shared", { "#f-name": sh.name, "#f-issuer": sh.issuer, "#f-secret": sh.secret, "#f-max-age": sh.maxAge });
    await page.waitForSelector(row(sh.name));
    // Go starts watching the second instance at once; the screenshots wait.
    const verified = await hook("/await?want=200");
    await record("added");
    await record("verified-elsewhere", verified);
    await page.click(`${row(sh.name)} button[data-action="disconnect"]`);
    await page.waitForSelector("#confirm[open]");
    await page.click("#confirm-ok");
    await page.waitForSelector(row(sh.name), { state: "detached" });
    const refused = await hook("/await?want=401");
    await record("disconnected");
    await record("refused-elsewhere", refused);
  }

  if (input.flow === "propagation") await propagation();
  else {

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
    // In the document, not the viewport: clicking may scroll the form.
    const submitTop = () => document.querySelector('#add-form button[type="submit"]').getBoundingClientRect().top + window.scrollY;
    const before = await page.evaluate(`(${submitTop})()`);
    await page.click('#add-form button[type="submit"]');
    await page.waitForFunction(() => document.querySelector("#f-secret-error").textContent !== "");
    out.unlabelled = await page.evaluate(() => [...document.querySelectorAll("input, select, textarea")]
      .filter((i) => !i.labels || !i.labels.length).map((i) => i.id || i.name));
    await record("field-error", await page.evaluate((top) => ({
      fieldError: document.querySelector("#f-secret-error").textContent,
      invalid: document.querySelector("#f-secret").getAttribute("aria-invalid") === "true",
      summary: [...document.querySelectorAll("#add-problems li")].map((li) => li.textContent),
      shift: document.querySelector('#add-form button[type="submit"]').getBoundingClientRect().top + window.scrollY - top,
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

    // ---- Edit: the document in the form, its secret kept by its fingerprint. -------------
    const openEdit = async (name) => {
      await page.click(`${row(name)} button[data-action="edit"]`);
      await visible("view-add");
      await page.waitForFunction((n) => document.querySelector("#f-name").value === n, name);
    };
    const formState = () => page.evaluate(() => ({
      kept: document.querySelector("#f-secret-kept").textContent, secret: document.querySelector("#f-secret").value,
      maxAge: document.querySelector("#f-max-age").value, readOnly: document.querySelector("#f-name").readOnly,
      summary: [...document.querySelectorAll("#add-problems li")].map((li) => li.textContent),
    }));
    await openEdit(sh.name);
    await record("edit-open", await formState());
    // Another admin changes it meanwhile: the save is refused and the form reloads.
    await page.evaluate(async (name) => {
      const path = `/v1/admin/tenants/acme/integrations/${name}`;
      const auth = { Authorization: `Bearer ${sessionStorage.getItem("jwtgate-console-credential")}` };
      const g = await fetch(path, { headers: auth });
      const doc = await g.json();
      doc.policy.max_age = "12m";
      const r = await fetch(path, { method: "PUT", headers: { ...auth, "If-Match": g.headers.get("ETag") }, body: JSON.stringify({ policy: doc.policy }) });
      if (r.status !== 200) throw new Error(`update: ${r.status} ${await r.text()}`);
    }, sh.name);
    await page.fill("#f-max-age", input.edit.maxAge);
    await page.click('#add-form button[type="submit"]');
    await page.waitForFunction(() => document.querySelector("#add-problems").textContent.includes("someone else"));
    await record("edit-conflict", await formState());
    await page.fill("#f-max-age", input.edit.maxAge);
    await page.click('#add-form button[type="submit"]');
    await visible("view-integrations");
    await page.waitForFunction(() => document.querySelector("#live").textContent.includes("saved"));
    await record("edited");

    // ---- A draft that requires a claim the tokens lack; its tally; promote. -------------
    await openEdit(sh.name);
    await page.fill("#f-claims", input.edit.claim);
    await page.click("#save-draft");
    await visible("view-draft");
    await record("draft-saved", { diff: await page.$$eval("#draft-diff li", (lis) => lis.map((li) => li.textContent)) });
    const sent = await hook("/shadow");
    // The tally is summed up off the request path: refresh until it shows them.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && Number(await page.textContent("#draft-differed")) < sent.differing) {
      await page.waitForTimeout(200);
      await page.click("#draft-refresh");
      await page.waitForFunction(() => document.querySelector("#live").textContent.startsWith("Tally refreshed"));
    }
    await record("draft-tally", await page.evaluate(() => ({
      compared: Number(document.querySelector("#draft-compared").textContent),
      differed: Number(document.querySelector("#draft-differed").textContent),
      samples: [...document.querySelectorAll("#draft-samples tbody tr")].map((tr) => [...tr.cells].slice(1).map((td) => td.textContent).join(" | ")),
      samplesShown: !document.querySelector("#draft-samples").hidden,
    })));
    await page.click("#draft-promote");
    await page.waitForSelector("#confirm[open]");
    await record("promote-dialog", { dialogOpen: true, dialogTitle: await page.textContent("#confirm-title") });
    await page.click("#confirm-ok");
    await visible("view-integrations");
    await page.waitForFunction(() => document.querySelector("#live").textContent.includes("is live"));
    await record("promoted");

    // ---- Another draft, discarded behind its dialog. -------------------------------------
    await openEdit(sh.name);
    await page.fill("#f-max-age", "20m");
    await page.click("#save-draft");
    await visible("view-draft");
    await page.click("#draft-discard");
    await page.waitForSelector("#confirm[open]");
    await page.click("#confirm-ok");
    await visible("view-integrations");
    await page.waitForFunction(() => document.querySelector("#live").textContent.includes("discarded"));
    await record("discarded", { draftButton: await page.$(`${row(sh.name)} button[data-action="draft"]`) !== null });

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
  }
  out.violations.push(...await page.evaluate(() => window.__violations));
} finally {
  await browser.close();
}
writeFileSync(outPath, JSON.stringify(out));
