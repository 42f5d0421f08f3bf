// jwtgate.js — the jwtgate core, built with GOOS=js GOARCH=wasm, as an ES
// module for the browser.
//
//   import { JWTGate } from "./jwtgate.js";
//   const gate = await JWTGate.load({ policy, wasmURL: "jwtgate.wasm" });
//   const d = await gate.verify(token, { now, explain: true });
//   if (d.valid) { … } else { d.code, d.message, d.reason }
//
// The decision is the object that the native core's Decision.JSON() gives
// for the same policy, token and time (see README.md). It is a
// pre-validation: the server verifies again.

const API_VERSION = 1;

/** Largest JWK set accepted from a jwks_url, in characters. */
const MAX_JWKS_CHARS = 1 << 20;
/** A failed jwks_url fetch is retried no sooner than this (ms). */
const FAILED_FETCH_RETRY_MS = 30_000;
/** Imported WebCrypto keys kept for the page; more start the cache afresh. */
const MAX_CRYPTO_KEYS = 256;

/** The policy was refused; file, integration, field, line and reason say where and why. */
export class PolicyError extends Error {
  constructor(e) {
    super(e.message);
    this.name = "PolicyError";
    this.file = e.file;
    this.integration = e.integration || "";
    this.field = e.field || "";
    this.line = e.line || 0;
    this.column = e.column || 0;
    this.reason = e.reason || e.message;
    // Every problem of the policy (the first is the one above), each with
    // file, integration, field, line, column and reason.
    this.problems = e.problems || [];
  }
}

function toError(e) {
  switch (e.name) {
    case "PolicyError":
      return new PolicyError(e);
    case "TypeError":
      return new TypeError(e.message);
    case "RangeError":
      return new RangeError(e.message);
  }
  return new Error(e.message);
}

// One Go runtime per module URL, shared by every policy loaded from it.
const runtimes = new Map();
let readySeq = 0;

async function loadWasmExec(url) {
  if (typeof globalThis.Go === "function") return;
  // The toolchain's wasm_exec.js is a classic script that sets globalThis.Go;
  // importing it runs it (in strict mode, which it already uses).
  await import(String(url));
  if (typeof globalThis.Go !== "function") {
    throw new Error(`jwtgate: ${url} did not define Go; is it the Go toolchain's wasm_exec.js?`);
  }
}

async function instantiate(wasmURL, importObject) {
  const resp = await fetch(wasmURL, { credentials: "same-origin" });
  if (!resp.ok) throw new Error(`jwtgate: fetching ${wasmURL}: HTTP ${resp.status}`);
  const copy = resp.clone();
  try {
    return await WebAssembly.instantiateStreaming(resp, importObject);
  } catch (e) {
    // A server that sends another Content-Type than application/wasm.
    if (!(e instanceof TypeError)) throw e;
    return await WebAssembly.instantiate(await copy.arrayBuffer(), importObject);
  }
}

async function startRuntime(wasmURL, wasmExecURL) {
  await loadWasmExec(wasmExecURL);
  const go = new globalThis.Go();
  const ready = `__jwtgate_ready_${++readySeq}_${Math.random().toString(36).slice(2)}`;
  const apiPromise = new Promise((resolve) => {
    globalThis[ready] = resolve;
  });
  go.argv = ["jwtgate", ready];
  try {
    const { instance } = await instantiate(wasmURL, go.importObject);
    // Settles only if the module exits, which it never does unless it
    // crashes; every call races it, so that a crash cannot leave a
    // verification pending forever.
    const exited = go.run(instance).then(() => {
      throw new Error(`jwtgate: the module exited (code ${go.exitCode ?? "?"})`);
    });
    exited.catch(() => {});
    const api = await Promise.race([apiPromise, exited]);
    if (api.apiVersion !== API_VERSION) {
      throw new Error(`jwtgate: ${wasmURL} speaks API version ${api.apiVersion}, this jwtgate.js speaks ${API_VERSION}`);
    }
    return { api, exited };
  } finally {
    delete globalThis[ready];
  }
}

function runtime(wasmURL, wasmExecURL) {
  const key = String(wasmURL);
  let p = runtimes.get(key);
  if (!p) {
    p = startRuntime(key, wasmExecURL);
    runtimes.set(key, p);
    p.catch(() => runtimes.delete(key)); // let a later load try again
  }
  return p;
}

// Calls into Go, which answers {ok} or {error}, or a promise of one.
async function call(rt, fn, ...args) {
  let r;
  try {
    r = await Promise.race([rt.api[fn](...args), rt.exited]);
  } catch (e) {
    // wasm_exec.js throws once the Go program has exited (a crash).
    throw new Error(`jwtgate: the module failed: ${e && e.message ? e.message : e}`);
  }
  if (r && r.error) throw toError(r.error);
  return r.ok;
}

// ---- Signatures, checked with WebCrypto -------------------------------------

// The WebCrypto parameters of each JWS algorithm (RFC 7518 §3): how to
// import its key, and how to verify with it. PSS's salt is as long as the
// hash, as RFC 7518 §3.5 requires.
const WEBCRYPTO_ALGS = {
  RS256: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, { name: "RSASSA-PKCS1-v1_5" }],
  RS384: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-384" }, { name: "RSASSA-PKCS1-v1_5" }],
  RS512: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-512" }, { name: "RSASSA-PKCS1-v1_5" }],
  PS256: [{ name: "RSA-PSS", hash: "SHA-256" }, { name: "RSA-PSS", saltLength: 32 }],
  PS384: [{ name: "RSA-PSS", hash: "SHA-384" }, { name: "RSA-PSS", saltLength: 48 }],
  PS512: [{ name: "RSA-PSS", hash: "SHA-512" }, { name: "RSA-PSS", saltLength: 64 }],
  ES256: [{ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }],
  ES384: [{ name: "ECDSA", namedCurve: "P-384" }, { name: "ECDSA", hash: "SHA-384" }],
  ES512: [{ name: "ECDSA", namedCurve: "P-521" }, { name: "ECDSA", hash: "SHA-512" }],
  EdDSA: [{ name: "Ed25519" }, { name: "Ed25519" }],
};

// Imported keys by algorithm and JWK text, shared by every gate of the page.
const cryptoKeys = new Map();

// checkSignature is the module's signature check (webcrypto_js.go): the
// core has picked the key (jwk, its material alone) and bound it to alg.
// It resolves to whether signature is valid; a rejection refuses the token.
async function checkSignature(alg, jwk, input, signature) {
  const params = WEBCRYPTO_ALGS[alg];
  if (!params) throw new Error(`no WebCrypto algorithm for ${alg}`);
  const id = `${alg} ${jwk}`;
  let key = cryptoKeys.get(id);
  if (!key) {
    if (cryptoKeys.size >= MAX_CRYPTO_KEYS) cryptoKeys.clear();
    key = crypto.subtle.importKey("jwk", JSON.parse(jwk), params[0], false, ["verify"]);
    cryptoKeys.set(id, key);
    key.catch(() => cryptoKeys.delete(id));
  }
  return crypto.subtle.verify(params[1], await key, signature, input);
}

// Key sets of jwks_url entries, by URL, shared by every gate of the page:
// { text, kids, fetchedAt, error, pending }.
const jwksCache = new Map();
// How many times a fetched set's text changed: passed with each
// verification, so that a gate's decision cache drops what older keys
// decided (a cache hit never asks for the keys).
let keyEpoch = 0;

function kidsOf(text) {
  try {
    const set = JSON.parse(text);
    return new Set((set.keys || []).map((k) => k && k.kid).filter((k) => typeof k === "string"));
  } catch {
    return new Set();
  }
}

async function fetchKeySet(url, fetchFn) {
  const old = jwksCache.get(url);
  if (old && old.pending) return old.pending;
  const pending = (async () => {
    let entry;
    try {
      const resp = await fetchFn(url, {
        credentials: "omit",
        headers: { Accept: "application/jwk-set+json, application/json" },
      });
      if (!resp.ok) throw new Error(`HTTP ${resp.status} ${resp.statusText}`.trim());
      const text = await resp.text();
      if (text.length > MAX_JWKS_CHARS) throw new Error(`the key set is over ${MAX_JWKS_CHARS} characters`);
      entry = { text, kids: kidsOf(text), fetchedAt: Date.now() };
      if (old && old.text !== undefined && old.text !== text) keyEpoch++;
    } catch (e) {
      const error = `fetching the key set failed: ${e && e.message ? e.message : e}`;
      // Keep serving a set fetched before; retry later either way.
      entry = old && old.text !== undefined
        ? { ...old, pending: undefined, lastError: error, retryAt: Date.now() + FAILED_FETCH_RETRY_MS }
        : { error, fetchedAt: Date.now(), retryAt: Date.now() + FAILED_FETCH_RETRY_MS };
    }
    jwksCache.set(url, entry);
    return entry;
  })();
  jwksCache.set(url, { ...(old || {}), pending });
  return pending;
}

function needsFetch(entry, ttlMs, now) {
  if (!entry) return true;
  if (entry.pending) return true;
  if (entry.retryAt !== undefined) return now >= entry.retryAt;
  return now - entry.fetchedAt >= ttlMs;
}

function toSeconds(now) {
  if (now === undefined || now === null) return Date.now() / 1000;
  if (now instanceof Date) return now.getTime() / 1000;
  if (typeof now === "number") return now;
  throw new TypeError("jwtgate: now must be Unix seconds (a number) or a Date");
}

/** A loaded policy. Create with JWTGate.load. */
export class JWTGate {
  #rt;
  #handle = 0;
  #queue = Promise.resolve();
  #info;
  #fetch;
  #ttlMs;
  #kidRefetchMs;
  #stale = null;

  constructor(token) {
    if (token !== construct) throw new TypeError("jwtgate: use JWTGate.load()");
  }

  /**
   * Loads the module (once per wasmURL) and a policy.
   * @param {object} o
   * @param {string|object} o.policy JSON text (a bundle from `jwtgate policy build`) or an object;
   *   public keys inline, jwks_url allowed
   * @param {string|URL} [o.wasmURL] the GOOS=js module (default: jwtgate.wasm beside this file)
   * @param {string|URL} [o.wasmExecURL] the toolchain's wasm_exec.js (default: beside this file)
   * @param {string} [o.name] the policy's name in error messages (default "policy")
   * @param {number} [o.jwksTTL] seconds a fetched jwks_url set is used before it is fetched again (default 300)
   * @param {number} [o.kidRefetchAfter] seconds after which a set lacking a token's kid is fetched again (default 30)
   * @param {Function} [o.fetch] the fetch function for jwks_url (default globalThis.fetch)
   * @param {boolean} [o.webCrypto] check signatures with WebCrypto (default true, and the only
   *   choice: the module links no signature arithmetic of its own, so false, or a page without
   *   crypto.subtle, which only secure contexts have, fails to load with an Error)
   * @param {boolean} [o.decisionCache] answer a token verified before from the gate's decision
   *   cache (default true; 1,000 entries, 1 MiB, 5 minutes; never explain requests or one-time tokens)
   */
  static async load({ policy, wasmURL, wasmExecURL, name = "policy", jwksTTL = 300, kidRefetchAfter = 30, fetch: fetchFn, webCrypto, decisionCache = true } = {}) {
    if (policy !== null && typeof policy === "object") policy = JSON.stringify(policy);
    if (typeof policy !== "string") throw new TypeError("jwtgate: policy must be JSON text or an object");
    if (typeof jwksTTL !== "number" || !(jwksTTL >= 0)) throw new RangeError("jwtgate: jwksTTL must be a number of seconds ≥ 0");
    if (typeof kidRefetchAfter !== "number" || !(kidRefetchAfter >= 0)) throw new RangeError("jwtgate: kidRefetchAfter must be a number of seconds ≥ 0");
    const subtle = webCrypto ?? true;
    if (subtle && globalThis.crypto?.subtle === undefined) throw new Error("jwtgate: this module checks signatures with WebCrypto, and this page has no crypto.subtle (not a secure context? https or localhost)");
    const base = import.meta.url;
    const wasm = new URL(wasmURL ?? "jwtgate.wasm", base);
    const exec = new URL(wasmExecURL ?? "wasm_exec.js", base);
    const rt = await runtime(wasm, exec);
    const gate = new JWTGate(construct);
    gate.#rt = rt;
    gate.#fetch = fetchFn || globalThis.fetch.bind(globalThis);
    gate.#ttlMs = jwksTTL * 1000;
    gate.#kidRefetchMs = kidRefetchAfter * 1000;
    const info = await call(rt, "load", String(name), policy, (url, kid) => gate.#provide(url, kid), subtle ? checkSignature : null, !!decisionCache);
    gate.#handle = info.handle;
    gate.#info = Object.freeze({
      integrations: Object.freeze([...info.integrations]),
      jwksURLs: Object.freeze([...info.jwks_urls]),
      oneTimeUse: info.one_time_use,
    });
    return gate;
  }

  /** The names of the policy's integrations, in file order. */
  get integrations() { return this.#info.integrations; }
  /** Every jwks_url of the policy. */
  get jwksURLs() { return this.#info.jwksURLs; }
  /** Whether an integration enforces one-time tokens (remembered for the life of this gate). */
  get oneTimeUse() { return this.#info.oneTimeUse; }
  /** The Go version the module was built with. */
  get goVersion() { return this.#rt.api.goVersion; }

  /**
   * Verifies a token; resolves to the decision object (as native JSON).
   * @param {string} token compact JWS or JWE
   * @param {object} [o]
   * @param {number|Date} [o.now] Unix seconds (default: Date.now())
   * @param {boolean} [o.explain] add the step-by-step trace
   * @param {string} [o.redirect] the redirect target passed beside the token
   * @param {string} [o.integration] verify against this integration only
   */
  async verify(token, o = {}) {
    return JSON.parse(await this.verifyJSON(token, o));
  }

  /**
   * Like verify, but resolves to the decision JSON text, byte for byte as native.
   * A gate decides one token at a time, in the order of the calls.
   */
  verifyJSON(token, { now, explain = false, redirect, integration } = {}) {
    const next = this.#queue.then(() => this.#decide(token, now, explain, redirect, integration));
    this.#queue = next.catch(() => {});
    return next;
  }

  async #decide(token, now, explain, redirect, integration) {
    if (typeof token !== "string") throw new TypeError("jwtgate: the token must be a string");
    if (!this.#handle) throw new Error("jwtgate: this gate is closed");
    const seconds = toSeconds(now);
    await this.#resolveKeys(this.#info.jwksURLs);
    // #provide notes in #stale the sets that lack the token's kid; the
    // queue keeps another verification's notes out of it.
    const run = async () => {
      this.#stale = new Set();
      try {
        return { json: await call(this.#rt, "verify", this.#handle, token, seconds, !!explain, redirect ?? "", integration ?? "", keyEpoch), stale: this.#stale };
      } finally {
        this.#stale = null;
      }
    };
    let { json, stale } = await run();
    if (stale.size > 0 && !JSON.parse(json).valid) {
      // The token names a kid that a cached set lacks: the issuer may have
      // rotated its keys. Fetch those sets again and decide once more (an
      // invalid decision used no one-time jti, so this is side-effect free).
      await Promise.all([...stale].map((url) => fetchKeySet(url, this.#fetch)));
      ({ json } = await run());
    }
    return json;
  }

  /** Fetches the policy's jwks_url sets again now. */
  async refreshKeys() {
    await Promise.all(this.#info.jwksURLs.map((url) => fetchKeySet(url, this.#fetch)));
  }

  /** Forgets the policy (and its one-time jti memory). */
  close() {
    if (this.#handle) this.#rt.api.close(this.#handle);
    this.#handle = 0;
  }

  /** Empties the page's jwks_url cache and its imported WebCrypto keys. */
  static clearKeyCache() {
    jwksCache.clear();
    cryptoKeys.clear();
  }

  async #resolveKeys(urls) {
    const now = Date.now();
    const todo = urls.filter((url) => needsFetch(jwksCache.get(url), this.#ttlMs, now));
    if (todo.length) await Promise.all(todo.map((url) => fetchKeySet(url, this.#fetch)));
  }

  // Called by Go, synchronously, during verify.
  #provide(url, kid) {
    const e = jwksCache.get(url);
    if (!e || (e.text === undefined && !e.error)) return { error: "the key set was not fetched" };
    if (e.text === undefined) return { error: e.error };
    if (kid && !e.kids.has(kid) && this.#stale && Date.now() - e.fetchedAt >= this.#kidRefetchMs) {
      this.#stale.add(url);
    }
    return e.text;
  }
}

const construct = Symbol("construct");

export default JWTGate;
