// e2e.mjs drives the page in headless Chromium with playwright-core. It is
// run by browser_test.go, which writes the input (the differential corpus
// and the checks' parameters) and reads back the output (the decision JSON
// strings, the page checks, the figures). Usage: node e2e.mjs in.json out.json
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createRequire } from "node:module";
import zlib from "node:zlib";

const [inPath, outPath] = process.argv.slice(2);
const input = JSON.parse(readFileSync(inPath, "utf8"));
const require = createRequire(input.nodeModules + "/");
const { chromium } = require("playwright-core");

const out = { decisions: {}, page: {}, api: {}, jwks: {}, bench: {}, load: {}, gzip: {}, brotli: {}, consoleErrors: [] };
const log = (...a) => console.log("[e2e]", ...a);
// Every module runs the corpus; the figures (load times, decisions per
// second, compressed sizes) are taken of those asked for only.
const timed = input.modules.filter((m) => m.figures);

const browser = await chromium.launch({
  executablePath: input.chromium,
  args: input.chromiumArgs,
  timeout: 60_000,
});
try {
  // ---- Fresh contexts: the only network is the loopback server. -----------
  const newContext = async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    await ctx.route((url) => !url.href.startsWith(input.baseURL), (route) => route.abort("blockedbyclient"));
    return ctx;
  };
  const watch = (page, label) => {
    page.on("pageerror", (e) => out.consoleErrors.push(`${label}: pageerror: ${e.message}`));
    page.on("console", (m) => {
      // The jwks_url check fetches a missing set on purpose.
      if (m.type() === "error" && !(m.location().url || "").endsWith("/test/missing.json")) {
        out.consoleErrors.push(`${label}: console: ${m.text()} (${m.location().url})`);
      }
    });
  };

  // ---- Module load time, cold, per module. --------------------------------
  for (const mod of timed) {
    const times = [];
    for (let i = 0; i < input.loadRuns; i++) {
      const ctx = await newContext();
      const page = await ctx.newPage();
      watch(page, `load ${mod.name}`);
      await page.goto(input.baseURL + "/test/blank.html");
      times.push(await page.evaluate(async ({ wasmURL, webCrypto, policy, token, now }) => {
        const t0 = performance.now();
        const { JWTGate } = await import("/jwtgate.js");
        const gate = await JWTGate.load({ policy, wasmURL, webCrypto });
        const first = await gate.verifyJSON(token, { now });
        if (!first.startsWith('{"valid":true')) throw new Error(`not valid: ${first}`);
        const t1 = performance.now();
        // The runtime is reused: a policy load and a first verification
        // in a loaded page.
        const again = await JWTGate.load({ policy, wasmURL, webCrypto });
        await again.verifyJSON(token, { now });
        const t2 = performance.now();
        again.close();
        gate.close();
        return { module: t1 - t0, loaded: t2 - t1 };
      }, { wasmURL: mod.url, webCrypto: mod.webCrypto, policy: input.bench.policy, token: input.bench.tokens.ES256, now: input.bench.now }));
      await ctx.close();
    }
    out.load[mod.name] = times;
    log(`load ${mod.name}:`, times.map((t) => `${t.module.toFixed(0)} ms`).join(", "));
  }

  // ---- The page, as a person uses it. --------------------------------------
  const ctx = await newContext();
  const page = await ctx.newPage();
  watch(page, "page");
  await page.goto(input.baseURL + "/");
  out.page.ready = await page.evaluate(() => window.jwtgatePage.ready);
  out.page.title = await page.title();
  out.page.status = await page.textContent("#status");
  out.page.policyPrefilled = (await page.inputValue("#policy")).includes('"integrations"');

  const verdict = async () => {
    await page.waitForSelector("#result .verdict, #result .error");
    return page.evaluate(() => {
      const v = document.querySelector("#result .verdict");
      const err = document.querySelector("#result .error");
      const items = [...document.querySelectorAll("#result ol.trace li")].map((li) => ({
        outcome: li.className, icon: li.querySelector(".icon").textContent,
        step: li.querySelector(".step").textContent, detail: li.querySelector(".detail").textContent,
      }));
      const claims = [...document.querySelectorAll("#result table.claims th")].map((th) => th.textContent);
      return {
        valid: v ? v.classList.contains("valid") : null, code: v ? v.dataset.code : null,
        headline: v ? v.querySelector("h2").textContent : null, text: (v || err).textContent,
        error: err ? err.textContent : null, trace: items, claims,
      };
    });
  };
  const checkToken = async (name, token) => {
    await page.evaluate(() => document.querySelector("#result").replaceChildren());
    await page.fill("#token", token);
    await page.click("#check");
    out.page[name] = await verdict();
  };
  await page.fill("#policy", input.page.policy);
  await page.fill("#now", String(input.page.now));
  await checkToken("expired", input.page.expiredToken);
  // The decision JSON opens when its summary is clicked, and shows.
  await page.click("#result details.raw > summary");
  out.page.jsonOpened = await page.evaluate(() => {
    const d = document.querySelector("#result details.raw");
    const pre = d.querySelector("pre");
    return d.open && pre.getBoundingClientRect().height > 0 && pre.textContent.includes('"code": "token_expired"');
  });
  await page.screenshot({ path: input.screenshot, fullPage: true });
  await checkToken("valid", input.page.validToken);
  await page.screenshot({ path: input.screenshotValid, fullPage: true });
  await checkToken("garbage", "garbage!!");
  await checkToken("empty", "");
  await page.fill("#policy", "integrations: [");
  await checkToken("badPolicy", input.page.validToken);
  await page.fill("#now", "");
  for (const [name, button] of [["demoValid", "valid"], ["demoExpired", "expired"], ["demoEd", "ed"]]) {
    await page.evaluate(() => document.querySelector("#result").replaceChildren());
    await page.click(`[data-demo=${button}]`);
    out.page[name] = await verdict();
  }
  log("page checks done");

  // ---- The differential corpus, through the ES module, per module. --------
  for (const mod of input.modules) {
    out.decisions[mod.name] = await page.evaluate(async ({ wasmURL, webCrypto, passes, groups }) => {
      const { JWTGate } = await import("/jwtgate.js");
      const results = [];
      for (const g of groups) {
        const gate = await JWTGate.load({ policy: g.policy, wasmURL, webCrypto, name: "corpus.yaml" });
        const list = [];
        for (let pass = 0; pass < Math.max(passes, 1); pass++) {
          for (const c of g.cases) {
            list.push(await gate.verifyJSON(c.token, { now: c.now, explain: c.explain, redirect: c.redirect, integration: c.integration }));
          }
        }
        gate.close();
        results.push(list);
      }
      return results;
    }, { wasmURL: mod.url, webCrypto: mod.webCrypto, passes: mod.passes, groups: input.groups });
    log(`corpus through ${mod.name}: ${out.decisions[mod.name].flat().length} decisions`);
  }

  // ---- jwks_url, API misuse, policy errors. --------------------------------
  out.jwks = await page.evaluate(async (j) => {
    const { JWTGate } = await import("/jwtgate.js");
    JWTGate.clearKeyCache();
    const gate = await JWTGate.load({ policy: j.policy });
    const r = { urls: gate.jwksURLs, decisions: [] };
    for (const t of j.tokens) r.decisions.push(await gate.verifyJSON(t, { now: j.now, explain: true }));
    r.object = await gate.verify(j.tokens[0], { now: j.now });
    gate.close();
    // Key rotation: the first fetch of the rotating set lacks the token's
    // kid; the gate fetches it again and decides once more.
    const rot = await JWTGate.load({ policy: j.rotatingPolicy, kidRefetchAfter: 0 });
    r.rotated = await rot.verifyJSON(j.tokens[0], { now: j.now, explain: true });
    r.rotatedAgain = await rot.verifyJSON(j.tokens[0], { now: j.now, explain: true });
    rot.close();
    return r;
  }, input.jwks);
  out.api = await page.evaluate(async (a) => {
    const { JWTGate, PolicyError } = await import("/jwtgate.js");
    const caught = async (f) => {
      try { await f(); return null; } catch (e) { return { name: e.name, message: e.message, isPolicyError: e instanceof PolicyError, field: e.field, integration: e.integration }; }
    };
    const gate = await JWTGate.load({ policy: a.policy });
    const r = {
      fileKey: await caught(() => JWTGate.load({ policy: a.filePolicy, name: "files.yaml" })),
      badYAML: await caught(() => JWTGate.load({ policy: "integrations: [" })),
      secret: await caught(() => JWTGate.load({ policy: a.secretPolicy, name: "secret.yaml" })),
      yaml: await caught(() => JWTGate.load({ policy: a.yamlPolicy, name: "policy.yaml" })),
      notString: await caught(() => JWTGate.load({ policy: 42 })),
      tokenNotString: await caught(() => gate.verify(42)),
      nowNaN: await caught(() => gate.verify("a.b.c", { now: NaN })),
      nowString: await caught(() => gate.verify("a.b.c", { now: "tomorrow" })),
      noConstructor: await caught(() => new JWTGate()),
      defaultNow: await gate.verify(a.token),
      dateNow: await gate.verify(a.token, { now: new Date(a.now * 1000) }),
      objectPolicy: (await (await JWTGate.load({ policy: JSON.parse(a.jsonPolicy) })).verify(a.token, { now: a.now })).valid,
    };
    gate.close();
    r.closed = await caught(() => gate.verify(a.token));
    // With WebCrypto's verify made to refuse everything, the token fails:
    // the signatures are checked there. The module links no signature
    // arithmetic of its own, so webCrypto: false, or a page without
    // crypto.subtle, fails to load.
    const realVerify = crypto.subtle.verify;
    crypto.subtle.verify = async () => false;
    try {
      const g = await JWTGate.load({ policy: a.policy });
      r.refusingWebCrypto = await g.verify(a.token, { now: a.now });
      g.close();
    } finally {
      crypto.subtle.verify = realVerify;
    }
    r.webCryptoOff = await caught(() => JWTGate.load({ policy: a.policy, webCrypto: false }));
    Object.defineProperty(globalThis.crypto, "subtle", { value: undefined, configurable: true });
    try {
      r.noSubtle = await caught(() => JWTGate.load({ policy: a.policy }));
    } finally {
      delete globalThis.crypto.subtle;
    }
    r.subtleBack = globalThis.crypto.subtle !== undefined;
    return r;
  }, input.api);
  log("api checks done");

  // ---- Decisions per second in the page. -----------------------------------
  for (const mod of timed) {
    out.bench[mod.name] = await page.evaluate(async ({ wasmURL, webCrypto, policy, tokens, now, minMillis, rounds }) => {
      const { JWTGate } = await import("/jwtgate.js");
      // Fresh verifications, and a repeated token from the decision cache.
      const gate = await JWTGate.load({ policy, wasmURL, webCrypto, decisionCache: false });
      const cached = await JWTGate.load({ policy, wasmURL, webCrypto });
      const r = {};
      for (const token of Object.values(tokens)) {
        for (let i = 0; i < 50; i++) await gate.verifyJSON(token, { now }); // warm up
      }
      // Rounds alternate the algorithms, so that a busy moment of the
      // machine does not land on one of them only.
      for (let round = 0; round < rounds; round++) {
        for (const [alg, token] of [...Object.entries(tokens), ["RS256 repeated", tokens.RS256]]) {
          const g = alg.endsWith("repeated") ? cached : gate;
          let n = 0;
          const t0 = performance.now();
          let t = t0;
          while (t - t0 < minMillis) {
            for (let i = 0; i < 50; i++) {
              const d = await g.verifyJSON(token, { now });
              if (d.charCodeAt(9) !== 116) throw new Error(`not valid: ${d}`); // {"valid":true
            }
            n += 50;
            t = performance.now();
          }
          (r[alg] ||= []).push({ n, millis: t - t0, perSecond: (n * 1000) / (t - t0) });
        }
      }
      gate.close();
      cached.close();
      return r;
    }, { wasmURL: mod.url, webCrypto: mod.webCrypto, ...input.bench });
    log(`bench ${mod.name}:`, JSON.stringify(out.bench[mod.name]));
  }
  await ctx.close();
} finally {
  await browser.close();
}

// ---- Compressed sizes (Node's zlib: gzip -9, brotli quality 11). -----------
for (const mod of timed) {
  const data = readFileSync(mod.path);
  out.gzip[mod.name] = zlib.gzipSync(data, { level: 9 }).length;
  const br = zlib.brotliCompressSync(data, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  });
  out.brotli[mod.name] = br.length;
}

mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, JSON.stringify(out));
log("done");
