// signin_cors.mjs drives headless Chromium for TestBrowserSignInCORS: a
// vendor's page on one loopback origin signs in to jwtgate on another, by
// fetch() with credentials or by an auto-submitting form, and reports what
// the page could read, what the browser logged and which cookies it kept.
// Usage: node signin_cors.mjs in.json out.json
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";

const [inPath, outPath] = process.argv.slice(2);
const input = JSON.parse(readFileSync(inPath, "utf8"));
const require = createRequire(input.nodeModules + "/");
const { chromium } = require("playwright-core");

const out = {};
const profileDir = () => {
  const dir = mkdtempSync(join(dirname(inPath), "profile-"));
  mkdirSync(join(dir, "Default"));
  writeFileSync(join(dir, "Default", "Preferences"), JSON.stringify({ profile: { cookie_controls_mode: 0, block_third_party_cookies: false } }));
  return dir;
};
const browser = await chromium.launch({ executablePath: input.chromium, args: input.chromiumArgs, timeout: 60_000 });
try {
  for (const step of input.steps) {
    // A fresh context per step: its own cookie jar. A step with a profile
    // runs in a profile of its own that allows third-party cookies; a
    // plain context blocks them, as an incognito window does (and Safari
    // by default). No ctx.route(): with interception on, playwright
    // answers CORS preflights itself; the host resolver rules of
    // input.chromiumArgs keep the browser on loopback instead.
    const ctx = step.profile
      ? await chromium.launchPersistentContext(profileDir(), {
          executablePath: input.chromium, args: input.chromiumArgs, timeout: 60_000,
        })
      : await browser.newContext();
    const page = await ctx.newPage();
    const res = { console: [] };
    page.on("console", (m) => res.console.push(m.text()));
    if (step.kind === "fetch") {
      await page.goto(step.page);
      res.signIn = await page.evaluate(async ({ jwtgate, token }) => {
        try {
          const r = await fetch(jwtgate + "/auth/jwt", {
            method: "POST", credentials: "include",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ token }),
          });
          return { status: r.status, body: await r.text() };
        } catch (e) {
          return { error: `${e.name}: ${e.message}` };
        }
      }, step);
      res.session = await page.evaluate(async ({ jwtgate }) => {
        try {
          const r = await fetch(jwtgate + "/v1/session", { credentials: "include" });
          return { status: r.status, body: await r.text() };
        } catch (e) {
          return { error: `${e.name}: ${e.message}` };
        }
      }, step);
    } else {
      // The page submits its form on load; the browser lands on jwtgate's answer.
      const answer = page.waitForResponse((r) => r.url().startsWith(step.jwtgate + "/auth/jwt"));
      await page.goto(step.page);
      const r = await answer;
      await page.waitForLoadState();
      // A redirect (a sign-in that went through) has no body to read.
      res.signIn = { status: r.status(), body: await r.text().catch(() => ""), location: r.headers()["location"] || "" };
    }
    res.cookies = (await ctx.cookies()).map((c) => ({ name: c.name, domain: c.domain, sameSite: c.sameSite, secure: c.secure }));
    out[step.name] = res;
    console.log("[signin_cors]", step.name, JSON.stringify(res));
    await ctx.close();
  }
} finally {
  await browser.close();
}
writeFileSync(outPath, JSON.stringify(out));
