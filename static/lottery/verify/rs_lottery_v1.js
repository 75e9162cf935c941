/* rs-lottery-v1 and rs-lottery-v2 in the browser: a third implementation written from
   docs/lottery.md (§ numbers below point there), independent of the server's
   lottery/algorithm.py and of docs/verify_lottery.py. It recomputes a published bundle from the
   bundle alone: the commitment (v2: the commitment record, §13a), the seed, the snapshots'
   hashes, every step's draw order and every apartment.

   An ES module with no imports: it runs in any current browser (the phone verify page) and in
   node 20 (`import("./rs_lottery_v1.js")`). SHA-256 and HMAC-SHA256 come from WebCrypto
   (crypto.subtle), 64-bit draws are BigInt, and strings are ordered by Unicode code point,
   never by JavaScript's UTF-16 `<` or by locale.

   Problems are reported as {key, params}: the page turns a key into a sentence in its own
   language (the words come translated from the server); nothing here is in a human language
   except the keys. */

export const ALGORITHM = "rs-lottery-v1";
export const ALGORITHM_V2 = "rs-lottery-v2";
export const PUBLIC_SOURCE_KINDS = Object.freeze(["welfare_lottery", "sports_lottery", "drand"]);
export const TIER_POINTS = Object.freeze({ A: 3, B: 2, C: 1 });
const TWO_64 = 1n << 64n;

/* One failed check: `key` names the message, `params` fills it in. */
export class Problem extends Error {
  constructor(key, params = {}) {
    super(key + " " + JSON.stringify(params));
    this.key = key;
    this.params = params;
  }
}

// -- strings in code-point order ------------------------------------------------------------

/* Compare two strings by Unicode code point (Python's `<` on str, docs/lottery.md §1).
   JavaScript's `<` compares UTF-16 code units, which puts characters above U+FFFF (stored as
   surrogates D800-DFFF) before U+E000-U+FFFF; at the first differing unit, move the
   surrogates above that range. */
export function compareCodePoints(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) return surrogatesLast(x) - surrogatesLast(y);
      return x - y;
    }
  }
  return a.length - b.length;
}

function surrogatesLast(unit) {
  return unit <= 0xdfff ? unit + 0x2000 : unit - 0x800;
}

/* A sorted copy of a list of codes (strings only: a code of another kind is a malformed
   bundle, as Python refuses to compare a number with a string). */
export function sortedCodes(codes) {
  if (!Array.isArray(codes)) throw new Problem("malformed", { error: "a list of codes is expected" });
  for (const code of codes) {
    if (typeof code !== "string") throw new Problem("malformed", { error: "code " + JSON.stringify(code) + " is not a string" });
  }
  return codes.slice().sort(compareCodePoints);
}

function sameList(a, b) {
  if (!Array.isArray(a) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// -- JSON as Python reads and writes it (§2) -----------------------------------------------

/* A JSON number written with a fraction or an exponent: Python reads it as a float and
   writes it back with repr(), so `1.0` stays `1.0` (JSON.parse would make it 1). */
export class PyFloat {
  constructor(value) {
    this.value = value;
  }
}

/* Parse JSON text keeping what canonical JSON needs to hash it as Python does: integers
   beyond 2^53 as BigInt (exact), numbers with a fraction or exponent as PyFloat. Otherwise
   like JSON.parse (strings are decoded by JSON.parse itself). */
export function parseJson(text) {
  let i = 0;
  const n = text.length;
  const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

  function fail(what) {
    throw new SyntaxError(what + " at character " + i);
  }
  function space() {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  }
  function string() {
    const start = i; // at the opening quote
    i++;
    let escaped = false;
    for (;;) {
      if (i >= n) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c < 0x20) fail("control character in a string");
      i++;
    }
    i++;
    return escaped ? JSON.parse(text.slice(start, i)) : text.slice(start + 1, i - 1);
  }
  function value() {
    space();
    if (i >= n) fail("unexpected end");
    const c = text[i];
    if (c === "{") {
      i++;
      const object = {};
      space();
      if (text[i] === "}") {
        i++;
        return object;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail("a key is expected");
        const key = string();
        space();
        if (text[i] !== ":") fail("':' is expected");
        i++;
        const item = value();
        // defineProperty: a key "__proto__" is data, as in JSON.parse.
        Object.defineProperty(object, key, { value: item, enumerable: true, writable: true, configurable: true });
        space();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return object;
        }
        fail("',' or '}' is expected");
      }
    }
    if (c === "[") {
      i++;
      const list = [];
      space();
      if (text[i] === "]") {
        i++;
        return list;
      }
      for (;;) {
        list.push(value());
        space();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return list;
        }
        fail("',' or ']' is expected");
      }
    }
    if (c === '"') return string();
    if (text.startsWith("true", i)) {
      i += 4;
      return true;
    }
    if (text.startsWith("false", i)) {
      i += 5;
      return false;
    }
    if (text.startsWith("null", i)) {
      i += 4;
      return null;
    }
    NUMBER.lastIndex = i;
    const match = NUMBER.exec(text);
    if (!match) fail("unexpected character");
    i = NUMBER.lastIndex;
    const literal = match[0];
    if (match[1] !== undefined || match[2] !== undefined) return new PyFloat(Number(literal));
    const number = Number(literal);
    if (Number.isSafeInteger(number)) return number === 0 ? 0 : number; // "-0" is the int 0
    return BigInt(literal);
  }

  const result = value();
  space();
  if (i !== n) fail("extra data");
  return result;
}

/* Python's repr() of a float: the shortest digits that read back as the same double (both
   languages choose them the same way), written in fixed notation when the decimal point
   falls within -4 < exponent <= 16, else as d.ddde+XX. */
export function pythonFloatRepr(x) {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, exponent] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const point = Number(exponent) + 1; // value = 0.DIGITS x 10^point
  if (point > -4 && point <= 16) {
    if (point <= 0) return sign + "0." + "0".repeat(-point) + digits;
    if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length) + ".0";
    return sign + digits.slice(0, point) + "." + digits.slice(point);
  }
  const rest = digits.length > 1 ? "." + digits.slice(1) : "";
  const e = point - 1;
  return sign + digits[0] + rest + "e" + (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(2, "0");
}

function isWellFormed(text) {
  if (typeof text.isWellFormed === "function") return text.isWellFormed();
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

function canonicalString(text) {
  // UTF-8 has no form for a lone surrogate: Python refuses to encode it, so does this.
  if (!isWellFormed(text)) throw new Problem("malformed", { error: "a string holds a lone surrogate" });
  // JSON.stringify escapes exactly what Python's json.dumps(ensure_ascii=False) escapes:
  // " \ \b \f \n \r \t and other characters below U+0020 as \u00xx (lower-case hex).
  return JSON.stringify(text);
}

/* The canonical JSON text of a value (§2): keys in code-point order, no whitespace,
   non-ASCII as itself, integers in plain decimal, floats as Python's repr. */
export function canonicalJson(value) {
  const parts = [];
  (function write(item) {
    if (item === null) parts.push("null");
    else if (item === true) parts.push("true");
    else if (item === false) parts.push("false");
    else if (typeof item === "string") parts.push(canonicalString(item));
    else if (typeof item === "number") {
      if (Number.isInteger(item)) parts.push(Object.is(item, -0) ? "0" : String(BigInt(item)));
      else parts.push(pythonFloatRepr(item));
    } else if (typeof item === "bigint") parts.push(item.toString());
    else if (item instanceof PyFloat) parts.push(pythonFloatRepr(item.value));
    else if (Array.isArray(item)) {
      parts.push("[");
      item.forEach((element, index) => {
        if (index) parts.push(",");
        write(element);
      });
      parts.push("]");
    } else if (typeof item === "object") {
      parts.push("{");
      Object.keys(item)
        .sort(compareCodePoints)
        .forEach((key, index) => {
          if (index) parts.push(",");
          parts.push(canonicalString(key), ":");
          write(item[key]);
        });
      parts.push("}");
    } else throw new Problem("malformed", { error: "cannot write " + typeof item + " as JSON" });
  })(value);
  return parts.join("");
}

// -- SHA-256, HMAC, hex --------------------------------------------------------------------

const utf8 = new TextEncoder();

function subtle() {
  const api = globalThis.crypto && globalThis.crypto.subtle;
  if (!api) throw new Problem("no_webcrypto");
  return api;
}

export function toHex(bytes) {
  let out = "";
  for (const byte of new Uint8Array(bytes)) out += byte.toString(16).padStart(2, "0");
  return out;
}

/* bytes.fromhex as Python reads it: pairs of hex digits (either case), ASCII whitespace
   allowed between pairs. */
export function fromHex(text) {
  if (typeof text !== "string" || !/^[ \t\n\r\v\f]*(?:[0-9a-fA-F]{2}[ \t\n\r\v\f]*)*$/.test(text)) {
    throw new Problem("not_hex");
  }
  const compact = text.replace(/[ \t\n\r\v\f]/g, "");
  const bytes = new Uint8Array(compact.length / 2);
  for (let k = 0; k < bytes.length; k++) bytes[k] = parseInt(compact.slice(2 * k, 2 * k + 2), 16);
  return bytes;
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest("SHA-256", bytes));
}

export async function sha256Hex(bytes) {
  return toHex(await sha256(bytes));
}

export function utf8Bytes(text) {
  return utf8.encode(text);
}

/* SHA-256 (hex) of the canonical JSON of a value: the snapshot hashes (§2). */
export async function snapshotHash(value) {
  return sha256Hex(utf8Bytes(canonicalJson(value)));
}

// -- §3 the commitment, §5 the seed ----------------------------------------------------------

export function nfc(text) {
  return text.normalize("NFC");
}

function concat(...arrays) {
  const out = new Uint8Array(arrays.reduce((sum, a) => sum + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/* seed = SHA-256(server_secret || 0x00 || UTF-8(NFC(witness_entropy))) */
export async function makeSeed(secret, witnessEntropy) {
  return sha256(concat(secret, new Uint8Array([0]), utf8Bytes(nfc(witnessEntropy))));
}

// -- §13a rs-lottery-v2: the commitment record, the public value, the seed -------------------

/* §13a.2: "" when the record lists one estate, "<estate>/" when it lists several. */
export function v2StepPrefix(estate, estates) {
  return estates.length > 1 ? estate + "/" : "";
}

/* White space as Python's str.split() and str.strip() know it (§13a.3). */
const PY_SPACE = "[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const PY_TRIM = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, "g");
const PY_RUNS = new RegExp(`${PY_SPACE}+`, "g");

/* §13a.3: NFC, trimmed; a lottery's numbers with each run of white space as one space, a drand
   randomness in lower case. */
export function publicValueNormal(kind, value) {
  const trimmed = nfc(value).replace(PY_TRIM, "");
  return kind === "drand" ? trimmed.toLowerCase() : trimmed.replace(PY_RUNS, " ");
}

function uint32(n) {
  return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

/* §13a.4: seed = SHA-256("rs-lottery-v2" || 0x00 || secret || commitment (32 bytes) ||
   uint32_be(len P) || P || uint32_be(len E) || E). */
export async function makeSeedV2(secret, commitmentHex, publicValue, witnessEntropy) {
  const p = utf8Bytes(publicValue);
  const e = utf8Bytes(nfc(witnessEntropy));
  return sha256(concat(utf8Bytes(ALGORITHM_V2), new Uint8Array([0]), secret, fromHex(commitmentHex), uint32(p.length), p, uint32(e.length), e));
}

function same(a, b) {
  return canonicalJson(a === undefined ? null : a) === canonicalJson(b === undefined ? null : b);
}

/* §13a.5 check 2: the commitment is SHA-256 of the record, the record names this secret, its
   step prefix follows from its estates, and it binds what the bundle used. */
export async function checkRecord(bundle, secret) {
  const record = bundle.commitment_record;
  if (record === null || typeof record !== "object" || Array.isArray(record)) throw new Problem("malformed", { error: "commitment_record is not an object" });
  const digest = await snapshotHash(record);
  expect(digest === bundle.commitment, "record_hash", { got: digest, want: String(bundle.commitment) });
  expect(record.algorithm === ALGORITHM_V2, "record_algorithm", { got: String(record.algorithm) });
  expect(record.secret_sha256 === (await sha256Hex(secret)), "record_secret");
  const estates = record.estates;
  const estatesOk = Array.isArray(estates) && estates.every((e) => typeof e === "string") && sameList(estates, sortedCodes([...new Set(estates)])) && estates.includes(record.estate);
  expect(estatesOk, "record_estates", { estates: JSON.stringify(estates), estate: JSON.stringify(record.estate) });
  const want = v2StepPrefix(record.estate, estates);
  expect(record.step_prefix === want, "record_prefix", { got: JSON.stringify(record.step_prefix), want: JSON.stringify(want), estates: estates.join(" ") });
  expect(bundle.step_prefix === want, "bundle_prefix", { got: JSON.stringify(bundle.step_prefix), want: JSON.stringify(want) });
  const session = bundle.session && typeof bundle.session === "object" ? bundle.session : {};
  const bound = [
    ["session", session.code],
    ["project", session.project],
    ["estate", session.estate],
    ["mode", session.mode],
    ["fixed_village_order", bundle.fixed_village_order],
    ["participants_sha256", bundle.participants_sha256],
    ["inventory_sha256", bundle.inventory_sha256],
  ];
  for (const [field, given] of bound) {
    expect(same(record[field], given), "record_binds", { field, got: JSON.stringify(given === undefined ? null : given), want: JSON.stringify(record[field] === undefined ? null : record[field]) });
  }
  return { detail: { prefix: JSON.stringify(want), estates: estates.join(" "), hash: digest } };
}

/* §13a.3: the public value is in the form its source's kind asks; a drand randomness is
   SHA-256 of the signature given with it (the signature itself is the reader's to check
   against the drand chain, §13a.6). */
export async function checkPublicValue(bundle) {
  const source = (bundle.commitment_record && bundle.commitment_record.public_source) || {};
  const kind = source.kind;
  const value = bundle.public_value;
  const signature = bundle.public_signature;
  expect(PUBLIC_SOURCE_KINDS.includes(kind), "public_source_unknown", { kind: String(kind) });
  expect(typeof value === "string" && value.length > 0, "public_value_empty");
  expect(publicValueNormal(kind, value) === value, "public_value_form", { value });
  if (kind === "drand") {
    expect(/^[0-9a-f]{64}$/.test(value), "drand_hex", { value });
    expect(typeof signature === "string" && signature.length > 0, "drand_signature_missing");
    const digest = await sha256Hex(fromHex(signature));
    expect(digest === value, "drand_signature", { value, got: digest });
    return { detail: { source: `drand ${source.round}`, value } };
  }
  expect(signature === null || signature === undefined || signature === "", "signature_not_drand");
  return { detail: { source: `${source.game} ${source.draw} (${source.date})`, value } };
}

// -- §6 the random stream, §7 uniform(n), §8 shuffle ------------------------------------------

/* The HMAC key for a seed; every stream of a session signs with it. */
export async function seedKey(seed) {
  return subtle().importKey("raw", seed, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/* Block i of step `label`'s stream: HMAC-SHA256(seed, UTF-8(label) || 0x00 || uint64_be(i)). */
export async function streamBlock(key, label, index) {
  const head = utf8Bytes(label);
  const message = new Uint8Array(head.length + 9);
  message.set(head, 0);
  new DataView(message.buffer).setBigUint64(head.length + 1, BigInt(index));
  return new Uint8Array(await subtle().sign("HMAC", key, message));
}

/* One step's stream, read 8 bytes at a time (§6). Blocks are fetched ahead in parallel,
   as many as a shuffle of `expectedReads` draws needs without rejections. */
export class RandomStream {
  constructor(key, label) {
    this.key = key;
    this.label = label;
    this.blocks = [];
    this.read = 0; // bytes consumed
    this.draws = []; // every 8-byte value read, with whether uniform() kept it
  }

  async prefetch(values) {
    const wanted = Math.ceil((this.read + 8 * values) / 32);
    const missing = [];
    for (let b = this.blocks.length; b < wanted; b++) missing.push(streamBlock(this.key, this.label, b));
    this.blocks.push(...(await Promise.all(missing)));
  }

  async nextUint64() {
    if (this.read + 8 > this.blocks.length * 32) await this.prefetch(1);
    let x = 0n;
    for (let k = 0; k < 8; k++) {
      const at = this.read + k;
      x = (x << 8n) | BigInt(this.blocks[at >> 5][at & 31]);
    }
    this.read += 8;
    return x;
  }

  /* §7: x from 8 bytes; throw x away while x >= 2^64 - (2^64 mod n); answer x mod n. */
  async uniform(n) {
    const big = BigInt(n);
    if (big < 1n) throw new RangeError("uniform(n) needs n >= 1");
    const limit = TWO_64 - (TWO_64 % big);
    for (;;) {
      const x = await this.nextUint64();
      const kept = x < limit;
      this.draws.push([x, kept]);
      if (kept) return x % big;
    }
  }
}

/* §8: Fisher-Yates from the end over the codes in code-point order. */
export async function shuffle(key, label, codes) {
  const items = sortedCodes(codes);
  const stream = new RandomStream(key, label);
  await stream.prefetch(Math.max(0, items.length - 1));
  for (let i = items.length - 1; i > 0; i--) {
    const j = Number(await stream.uniform(i + 1));
    const held = items[i];
    items[i] = items[j];
    items[j] = held;
  }
  return items;
}

// -- §9 the steps and their call order ---------------------------------------------------

/* community -> group -> household codes (Maps, in the snapshot's order); a group must sit in
   one community. */
export function communityTree(participants) {
  if (!Array.isArray(participants)) throw new Problem("malformed", { error: "participants is not a list" });
  const tree = new Map();
  const home = new Map();
  for (const household of participants) {
    const community = household.community;
    const group = household.group;
    if (home.has(group) && home.get(group) !== community) {
      throw new Problem("group_two_communities", { group, first: home.get(group), second: community });
    }
    home.set(group, community);
    if (!tree.has(community)) tree.set(community, new Map());
    const groups = tree.get(community);
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(household.code);
  }
  return tree;
}

/* Every step in call order (§9): the village step (drawn, or fixed by the villagers'
   resolution), one group step per community in village order, one household step per group
   (communities in village order, groups in their drawn order). Steps of one level are drawn
   in parallel: they do not depend on one another. */
export async function expectedSteps(key, participants, prefix = "", fixedVillageOrder = null) {
  const tree = communityTree(participants);
  const communities = sortedCodes([...tree.keys()]);
  const villageLabel = prefix + "village";
  let village;
  if (fixedVillageOrder === null || fixedVillageOrder === undefined) {
    village = { label: villageLabel, participants: communities, order: await shuffle(key, villageLabel, communities), fixed: false };
  } else {
    if (!sameList(sortedCodes(fixedVillageOrder), communities)) {
      throw new Problem("fixed_order_incomplete", { order: fixedVillageOrder.join(" "), communities: communities.join(" ") });
    }
    village = { label: villageLabel, participants: communities, order: fixedVillageOrder.slice(), fixed: true };
  }
  const groupSteps = await Promise.all(
    village.order.map(async (community) => {
      const label = `${prefix}group/${community}`;
      const groups = sortedCodes([...tree.get(community).keys()]);
      return { label, participants: groups, order: await shuffle(key, label, groups) };
    }),
  );
  const householdPlans = [];
  village.order.forEach((community, c) => {
    for (const group of groupSteps[c].order) {
      householdPlans.push({ label: `${prefix}household/${group}`, participants: sortedCodes(tree.get(community).get(group)) });
    }
  });
  const householdSteps = await Promise.all(
    householdPlans.map(async (plan) => ({ ...plan, order: await shuffle(key, plan.label, plan.participants) })),
  );
  return [village, ...groupSteps, ...householdSteps];
}

// -- §10 from draw orders to apartments ----------------------------------------------------

/* A whole number as Python's int() reads a JSON count (true is 1, false 0). */
function count(value) {
  if (value === true) return 1;
  if (value === false) return 0;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof PyFloat && Number.isFinite(value.value)) return Math.trunc(value.value);
  throw new Problem("malformed", { error: "count " + JSON.stringify(value) + " is not a number" });
}

function byPointsThenPlace(estate) {
  return (p, q) => estate.points[q] - estate.points[p] || p - q;
}

/* The inventory snapshot by position in orientation order (position 0 comes first). */
export class Estate {
  constructor(inventory) {
    if (!Array.isArray(inventory)) throw new Problem("malformed", { error: "inventory is not a list" });
    this.code = [];
    this.type = [];
    this.points = [];
    this.position = new Map();
    inventory.forEach((apartment, p) => {
      if (!Object.prototype.hasOwnProperty.call(TIER_POINTS, apartment.tier)) {
        throw new Problem("bad_tier", { apartment: apartment.code, tier: String(apartment.tier) });
      }
      this.code.push(apartment.code);
      this.type.push(apartment.type);
      this.points.push(TIER_POINTS[apartment.tier]);
      if (this.position.has(apartment.code)) throw new Problem("apartment_twice", { apartment: apartment.code });
      this.position.set(apartment.code, p);
    });
  }

  /* §10 "taking": walk `pool` (positions, orientation order), take the first apartments of
     each type until `need` (Map type -> count) is met. Returns [taken, rest]; when some type
     is short, the Problem `shortKey` with `params` and what is missing. */
  take(pool, need, shortKey, params) {
    const missing = new Map();
    for (const [type, n] of need) if (n > 0) missing.set(type, n);
    const taken = [];
    const rest = [];
    for (const p of pool) {
      const wanted = missing.get(this.type[p]) || 0;
      if (wanted > 0) {
        missing.set(this.type[p], wanted - 1);
        taken.push(p);
      } else rest.push(p);
    }
    const short = [...missing].filter(([, n]) => n > 0).sort((a, b) => compareCodePoints(a[0], b[0]));
    if (short.length) {
      throw new Problem(shortKey, { ...params, missing: short.map(([t, n]) => `${t} x${n}`).join(", ") });
    }
    return [taken, rest];
  }

  total(package_) {
    let sum = 0;
    for (const p of package_) sum += this.points[p];
    return sum;
  }
}

/* §10.3: a demand as its (type, count) pairs with count > 0, sorted by type code. */
export function combinationOf(demand) {
  if (demand === null || typeof demand !== "object" || Array.isArray(demand)) {
    throw new Problem("malformed", { error: "a demand is not an object" });
  }
  return Object.keys(demand)
    .map((type) => [type, count(demand[type])])
    .filter(([, n]) => n > 0)
    .sort((a, b) => compareCodePoints(a[0], b[0]) || a[1] - b[1]);
}

/* Classes in ascending order of their combination: pair by pair (type in code-point order,
   then count); a combination that begins a longer one comes first. */
export function compareCombinations(a, b) {
  for (let k = 0; k < Math.min(a.length, b.length); k++) {
    const byType = compareCodePoints(a[k][0], b[k][0]);
    if (byType) return byType;
    if (a[k][1] !== b[k][1]) return a[k][1] - b[k][1];
  }
  return a.length - b.length;
}

export function combinationName(combination) {
  return combination.map(([t, n]) => `${t}x${n}`).join("+");
}

function totalDemand(households) {
  const need = new Map();
  for (const household of households) {
    for (const type of Object.keys(household.demand)) {
      need.set(type, (need.get(type) || 0) + count(household.demand[type]));
    }
  }
  return need;
}

/* §10.4: n packages of one combination from the class's pool (positions in orientation
   order), slot by slot, before any evening out: {packages, points}. */
export function dealPackages(estate, pool, combination, n) {
  const packages = Array.from({ length: n }, () => []);
  const points = new Array(n).fill(0);
  for (const [type, howMany] of combination) {
    const ofType = pool.filter((p) => estate.type[p] === type);
    for (let slot = 0; slot < howMany; slot++) {
      const batch = ofType.slice(slot * n, (slot + 1) * n).sort(byPointsThenPlace(estate));
      const receivers = [...Array(n).keys()].sort((k, l) => points[k] - points[l] || k - l);
      batch.forEach((apartment, i) => {
        packages[receivers[i]].push(apartment);
        points[receivers[i]] += estate.points[apartment];
      });
    }
  }
  return { packages, points };
}

/* §10.4 then §10.5: the class's n packages, each in orientation order. `trace`, a list,
   receives each evening-out move (for the test vectors). */
export function makePackages(estate, pool, combination, n, trace = null) {
  const { packages, points } = dealPackages(estate, pool, combination, n);
  evenOut(estate, packages, points, trace);
  return packages.map((package_) => package_.slice().sort((p, q) => p - q));
}

function ranking(points) {
  return [...points.keys()].sort((k, l) => points[l] - points[k] || k - l);
}

/* §10.5: repeat (a) the first pair that can be rebalanced, else (b) one point passed along a
   chain, until the packages are within one point or neither applies. */
export function evenOut(estate, packages, points, trace = null) {
  for (;;) {
    const ranked = ranking(points);
    if (points[ranked[0]] - points[ranked[ranked.length - 1]] <= 1) return;
    if (rebalanceFirstPair(estate, packages, points, ranked, trace)) continue;
    if (passOnePoint(estate, packages, points, ranked, trace)) continue;
    return;
  }
}

function rebalanceFirstPair(estate, packages, points, ranked, trace) {
  for (let x = 0; x < ranked.length; x++) {
    const rich = ranked[x];
    for (let y = ranked.length - 1; y > x; y--) {
      const poor = ranked[y];
      if (points[rich] - points[poor] < 2) continue;
      const split = bestSplit(estate, packages[rich], packages[poor]);
      if (split !== null) {
        packages[rich] = split[0];
        packages[poor] = split[1];
        points[rich] = estate.total(split[0]);
        points[poor] = estate.total(split[1]);
        if (trace) trace.push(["pair", [rich, poor]]);
        return true;
      }
    }
  }
  return false;
}

/* The k-element subsets of `items` in lexicographic order of places (Python's
   itertools.combinations). */
function* combinations(items, k) {
  const n = items.length;
  if (k > n) return;
  const index = [...Array(k).keys()];
  yield index.map((i) => items[i]);
  for (;;) {
    let i = k - 1;
    while (i >= 0 && index[i] === i + n - k) i--;
    if (i < 0) return;
    index[i]++;
    for (let j = i + 1; j < k; j++) index[j] = index[j - 1] + 1;
    yield index.map((m) => items[m]);
  }
}

/* §10.5 (a): the point sums R's part can reach -> the first apartments found reaching them
   (a Map, in the order first reached; a plain object would list integer keys in numeric
   order). Types in code order, each starting a fresh table (R takes its count of every
   type); the sums reached so far, in the order first reached, are the outer loop, the type's
   options, in the order first found, the inner loop; a sum already in the new table keeps
   its first way. `tables`, a list, receives [type, table] after each type (test vectors). */
export function reachableSums(estate, rich, poor, tables = null) {
  const both = rich.concat(poor);
  let reach = new Map([[0, []]]);
  const types = [...new Set(rich.map((p) => estate.type[p]))].sort(compareCodePoints);
  for (const type of types) {
    const candidates = both.filter((p) => estate.type[p] === type).sort(byPointsThenPlace(estate));
    const size = rich.filter((p) => estate.type[p] === type).length;
    const options = new Map();
    for (const subset of combinations(candidates, size)) {
      const sum = estate.total(subset);
      if (!options.has(sum)) options.set(sum, subset);
    }
    const widened = new Map();
    for (const [reached, chosen] of reach) {
      for (const [extra, subset] of options) {
        if (!widened.has(reached + extra)) widened.set(reached + extra, chosen.concat(subset));
      }
    }
    reach = widened;
    if (tables) tables.push([type, new Map(reach)]);
  }
  return reach;
}

/* The reachable sum closest to half the total; of two equally close sums the larger. */
export function closestSum(reach, total) {
  let best = null;
  for (const sum of reach.keys()) {
    const distance = Math.abs(2 * sum - total);
    if (best === null || distance < Math.abs(2 * best - total) || (distance === Math.abs(2 * best - total) && sum > best)) best = sum;
  }
  return best;
}

/* §10.5 (a), the best split of a pair (R, Q): [R's part, Q's part], or null unless it
   narrows their gap. */
export function bestSplit(estate, rich, poor) {
  const both = rich.concat(poor);
  const total = estate.total(both);
  const gap = estate.total(rich) - estate.total(poor);
  const reach = reachableSums(estate, rich, poor);
  const best = closestSum(reach, total);
  if (Math.abs(2 * best - total) >= gap) return null;
  const mine = new Set(reach.get(best));
  return [reach.get(best), both.filter((p) => !mine.has(p))];
}

/* §10.5 (b): the giver's apartment one tier better than a same-type apartment of the taker,
   earliest in orientation, then the taker's earliest such apartment; null if none. */
function oneTierSwap(estate, giver, taker) {
  let found = null;
  for (const a of giver) {
    for (const b of taker) {
      if (estate.type[a] === estate.type[b] && estate.points[a] - estate.points[b] === 1) {
        if (found === null || a < found[0] || (a === found[0] && b < found[1])) found = [a, b];
      }
    }
  }
  return found;
}

/* §10.5 (b): breadth-first from the richest, the shortest chain of one-tier swaps to a package
   with the fewest points; carried out as soon as such a taker is reached. */
function passOnePoint(estate, packages, points, ranked, trace) {
  const richest = ranked[0];
  const lowest = points[ranked[ranked.length - 1]];
  const holds = new Map([[richest, packages[richest].slice()]]);
  const cameFrom = new Map();
  let frontier = [richest];
  while (frontier.length) {
    const next = [];
    for (const giver of frontier) {
      for (const taker of ranked) {
        if (holds.has(taker)) continue;
        const swap = oneTierSwap(estate, holds.get(giver), packages[taker]);
        if (swap === null) continue;
        const [given, takenBack] = swap;
        holds.set(taker, packages[taker].map((p) => (p === takenBack ? given : p)));
        cameFrom.set(taker, [giver, given, takenBack]);
        if (points[taker] === lowest) {
          // As soon as a poorest package is reached: the rest of the round is not searched.
          packages[taker] = holds.get(taker);
          let link = taker;
          const chain = [taker];
          while (cameFrom.has(link)) {
            const [giverOf, givenOf, back] = cameFrom.get(link);
            packages[giverOf] = holds.get(giverOf).map((p) => (p === givenOf ? back : p));
            link = giverOf;
            chain.unshift(link);
          }
          if (trace) trace.push(["chain", chain]);
          points[richest] -= 1;
          points[taker] += 1;
          return true;
        }
        next.push(taker);
      }
    }
    frontier = next;
  }
  return false;
}

/* §10.1-§10.4: community shares, group shares and (direct mode) each group's packages, as
   positions. packages: group -> [[combination, [package, ...]], ...] in class order. */
export function sharesAndPackages(estate, participants, steps, make = true) {
  const tree = communityTree(participants);
  const byCode = new Map(participants.map((h) => [h.code, h]));
  const orderOf = new Map(steps.map((s) => [s.label, s.order]));
  const villageLabel = steps[0].label;
  const prefix = villageLabel.slice(0, villageLabel.length - "village".length);
  const communityShares = new Map();
  const groupShares = new Map();
  const packages = new Map();
  let rest = [...estate.code.keys()];
  for (const community of steps[0].order) {
    const members = [...tree.get(community).values()].flat().map((c) => byCode.get(c));
    let share;
    [share, rest] = estate.take(rest, totalDemand(members), "short_community", { community });
    communityShares.set(community, share);
    for (const group of orderOf.get(`${prefix}group/${community}`)) {
      const households = tree.get(community).get(group).map((c) => byCode.get(c));
      let groupShare;
      [groupShare, share] = estate.take(share, totalDemand(households), "short_group", { group });
      groupShares.set(group, groupShare);
      if (!make) continue;
      const classes = new Map();
      for (const household of households) {
        const combination = combinationOf(household.demand);
        const name = JSON.stringify(combination);
        if (!classes.has(name)) classes.set(name, { combination, n: 0 });
        classes.get(name).n += 1;
      }
      const made = [];
      let left = groupShare;
      for (const { combination, n } of [...classes.values()].sort((a, b) => compareCombinations(a.combination, b.combination))) {
        const need = new Map(combination.map(([t, c]) => [t, c * n]));
        let pool;
        [pool, left] = estate.take(left, need, "short_class", { group, combination: combinationName(combination) });
        made.push([combination, makePackages(estate, pool, combination, n)]);
      }
      packages.set(group, made);
    }
  }
  return { communityShares, groupShares, packages };
}

/* group -> its drawn household order, from the `<prefix>household/<group>` steps. */
export function householdOrders(steps) {
  const village = steps[0].label;
  const start = village.slice(0, village.length - "village".length) + "household/";
  const orders = new Map();
  for (const step of steps) if (step.label.startsWith(start)) orders.set(step.label.slice(start.length), step.order.slice());
  return orders;
}

/* §10.6: household code -> apartment codes (orientation order), direct mode. */
export function directAllocation(inventory, participants, steps) {
  const estate = new Estate(inventory);
  const byCode = new Map(participants.map((h) => [h.code, h]));
  const { packages } = sharesAndPackages(estate, participants, steps);
  const allocation = new Map();
  for (const [group, order] of householdOrders(steps)) {
    const classes = new Map(packages.get(group).map(([combination, boxes]) => [JSON.stringify(combination), boxes]));
    const served = new Map();
    for (const code of order) {
      const name = JSON.stringify(combinationOf(byCode.get(code).demand));
      const k = served.get(name) || 0;
      served.set(name, k + 1);
      allocation.set(code, classes.get(name)[k].map((p) => estate.code[p]));
    }
  }
  return allocation;
}

/* §10.7: check order-then-choose picks; the allocation they make. */
export function pickedAllocation(inventory, participants, steps, picks) {
  const estate = new Estate(inventory);
  const byCode = new Map(participants.map((h) => [h.code, h]));
  const { groupShares } = sharesAndPackages(estate, participants, steps, false);
  const turnOrder = householdOrders(steps);
  const turnsTaken = new Map([...turnOrder.keys()].map((g) => [g, 0]));
  const used = new Set();
  const allocation = new Map();
  if (!Array.isArray(picks)) throw new Problem("malformed", { error: "picks is not a list" });
  picks.forEach((pick, index) => {
    const number = index + 1;
    const household = byCode.get(pick.household);
    if (household === undefined) throw new Problem("pick_stranger", { n: number, household: String(pick.household) });
    const group = household.group;
    const queue = turnOrder.get(group);
    const due = turnsTaken.get(group) < queue.length ? queue[turnsTaken.get(group)] : null;
    if (due !== household.code) throw new Problem("pick_out_of_turn", { n: number, household: household.code, group, due: String(due) });
    turnsTaken.set(group, turnsTaken.get(group) + 1);
    const share = new Set(groupShares.get(group).map((p) => estate.code[p]));
    const chosen = {};
    for (const code of pick.apartments) {
      if (!share.has(code)) throw new Problem("pick_outside_share", { n: number, apartment: code, group });
      if (used.has(code)) throw new Problem("pick_taken", { n: number, apartment: code });
      used.add(code);
      const type = estate.type[estate.position.get(code)];
      chosen[type] = (chosen[type] || 0) + 1;
    }
    const got = combinationOf(chosen);
    const want = combinationOf(household.demand);
    if (compareCombinations(got, want) !== 0) {
      throw new Problem("pick_wrong_types", { n: number, household: household.code, got: combinationName(got), want: combinationName(want) });
    }
    allocation.set(household.code, pick.apartments.slice());
  });
  return allocation;
}

// -- §13 checking a bundle ---------------------------------------------------------------

export const REQUIRED_V2 = ["commitment_record", "public_value", "step_prefix"];
export const REQUIRED = ["algorithm", "session", "commitment", "server_secret", "witness_entropy", "seed", "participants", "inventory", "steps", "allocation"];

/* The outcome of a verification: `checks` in order, each {key, status: "ok" | "fail" |
   "skip", params, problem: {key, params} | null}; `problems` the failed ones' problems;
   plus what the page shows: the recomputed steps (with whether each matched) and the
   recomputed allocation. */
export class Report {
  constructor() {
    this.checks = [];
    this.problems = [];
    this.steps = null;
    this.stepResults = [];
    this.allocation = null;
    this.mode = null;
  }

  get verified() {
    return this.problems.length === 0;
  }

  fail(key, problem, params = {}) {
    this.checks.push({ key, status: "fail", params, problem });
    this.problems.push({ check: key, ...problem });
  }

  skip(key, params = {}) {
    this.checks.push({ key, status: "skip", params, problem: null });
  }

  /* Run one check: `test()` returns {detail params} (or nothing) or throws a Problem. */
  async check(key, test, params = {}) {
    let result;
    try {
      result = await test();
    } catch (error) {
      if (error instanceof Problem) this.fail(key, { key: error.key, params: error.params }, params);
      else this.fail(key, { key: "malformed", params: { error: `${error.name}: ${error.message}` } }, params);
      return undefined;
    }
    this.checks.push({ key, status: "ok", params: { ...params, ...(result && result.detail) }, problem: null });
    return result === undefined ? true : result;
  }
}

function expect(condition, key, params) {
  if (!condition) throw new Problem(key, params);
}

function participantsWellFormed(participants) {
  const codes = participants.map((h) => h.code);
  const seen = new Set();
  for (const code of codes) {
    if (typeof code !== "string") throw new Problem("malformed", { error: "household code " + JSON.stringify(code) });
    if (seen.has(code)) throw new Problem("household_twice", { household: code });
    seen.add(code);
  }
  for (const household of participants) {
    if (household.demand === null || typeof household.demand !== "object" || Array.isArray(household.demand)) {
      throw new Problem("bad_count", { household: household.code, type: "", count: JSON.stringify(household.demand) });
    }
    for (const type of Object.keys(household.demand)) {
      const value = household.demand[type];
      const whole = typeof value === "boolean" || typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value));
      if (!whole || value < 0) throw new Problem("bad_count", { household: household.code, type, count: value instanceof PyFloat ? pythonFloatRepr(value.value) : String(value) });
    }
  }
  const tree = communityTree(participants);
  let groups = 0;
  for (const g of tree.values()) groups += g.size;
  return { detail: { households: codes.length, groups, communities: tree.size } };
}

function callOrderComplete(stated, participants, prefix) {
  const tree = communityTree(participants);
  if (!Array.isArray(stated)) throw new Problem("malformed", { error: "steps is not a list" });
  const labels = stated.map((s) => s.label);
  if (new Set(labels).size !== labels.length) throw new Problem("label_twice");
  if (!stated.length || stated[0].label !== prefix + "village") throw new Problem("village_first", { label: prefix + "village" });
  if (!sameList(sortedCodes(stated[0].participants), sortedCodes([...tree.keys()]))) throw new Problem("village_members");
  const want = new Map();
  for (const [community, groups] of tree) {
    want.set(`${prefix}group/${community}`, sortedCodes([...groups.keys()]));
    for (const [group, members] of groups) want.set(`${prefix}household/${group}`, sortedCodes(members));
  }
  const got = new Map(stated.slice(1).map((s) => [s.label, sortedCodes(s.participants)]));
  for (const label of sortedCodes([...new Set([...want.keys(), ...got.keys()])])) {
    if (!got.has(label)) throw new Problem("step_missing", { label });
    if (!want.has(label)) throw new Problem("step_unknown", { label });
    for (const code of want.get(label)) if (!got.get(label).includes(code)) throw new Problem("step_lacks", { label, code });
    for (const code of got.get(label)) if (!want.get(label).includes(code)) throw new Problem("step_stranger", { label, code });
    if (got.get(label).length !== want.get(label).length) throw new Problem("step_member_twice", { label });
  }
  for (const step of stated) {
    if (!sameList(sortedCodes(step.order), sortedCodes(step.participants))) throw new Problem("order_not_permutation", { label: step.label });
  }
  let groups = 0;
  for (const g of tree.values()) groups += g.size;
  return { detail: { communities: tree.size, groups } };
}

function compareSteps(stated, expected, report) {
  let first = null;
  expected.forEach((want, index) => {
    const got = stated[index];
    let problem = null;
    const number = index + 1;
    if (got === undefined) problem = new Problem("step_absent", { n: number, label: want.label });
    else if (got === null || typeof got !== "object") problem = new Problem("malformed", { error: `step ${number} is not an object` });
    else if (got.label !== want.label) problem = new Problem("step_label", { n: number, got: String(got.label), want: want.label });
    else if (!sameList(got.participants, want.participants)) {
      problem = new Problem("step_participants", { n: number, label: want.label, got: (got.participants || []).join(" "), want: want.participants.join(" ") });
    } else if (!sameList(got.order, want.order)) {
      problem = new Problem("step_order", { n: number, label: want.label, got: (got.order || []).join(" "), want: want.order.join(" ") });
    } else if ("fixed" in want && Boolean(got.fixed) !== want.fixed) {
      problem = new Problem("step_fixed", { n: number, label: want.label });
    }
    report.stepResults.push({ number, label: want.label, participants: want.participants, order: want.order, fixed: want.fixed, stated: got && got.order, ok: problem === null });
    if (problem && first === null) first = problem;
  });
  if (first) throw first;
  if (stated.length > expected.length) {
    throw new Problem("step_extra", { n: expected.length + 1, label: String(stated[expected.length] && stated[expected.length].label) });
  }
  return { detail: { steps: expected.length } };
}

/* §13.8: the bundle's allocation equals the recomputed one as an ordered list: rows in
   household-code order, each row's apartments in code-point order. */
function compareAllocation(rows, expected, source) {
  if (!Array.isArray(rows)) throw new Problem("malformed", { error: "allocation is not a list" });
  const stated = new Map();
  let previous = null;
  for (const row of rows) {
    const household = row.household;
    if (stated.has(household)) throw new Problem("allocation_twice", { household });
    if (previous !== null && typeof household === "string" && compareCodePoints(previous, household) > 0) {
      throw new Problem("allocation_unsorted", { household, previous });
    }
    previous = household;
    if (!Array.isArray(row.apartments)) throw new Problem("malformed", { error: `the row of ${household} has no list of apartments` });
    stated.set(household, row.apartments);
  }
  const households = sortedCodes([...new Set([...stated.keys(), ...expected.keys()])]);
  for (const household of households) {
    if (!stated.has(household)) throw new Problem("allocation_missing", { household, source });
    if (!expected.has(household)) throw new Problem("allocation_stranger", { household, source });
    const want = sortedCodes(expected.get(household));
    const got = stated.get(household);
    if (!sameList(got, want)) {
      const same = sameList(sortedCodes(got), want);
      throw new Problem(same ? "apartments_unsorted" : "allocation_differs", { household, got: got.join(" "), want: want.join(" "), source });
    }
  }
  const every = [...stated.values()].flat();
  if (new Set(every).size !== every.length) throw new Problem("apartment_given_twice");
  return { detail: { households: stated.size, apartments: every.length } };
}

async function seedFrom(secret, entropy) {
  return makeSeed(secret, entropy);
}

/* Every check of §13, in order; later checks run even when an earlier one failed (as
   docs/verify_lottery.py does). `bundle` is parsed JSON (parseJson keeps floats and big
   integers as Python reads them). */
export async function verify(bundle) {
  const report = new Report();
  if (bundle === null || typeof bundle !== "object" || Array.isArray(bundle)) {
    report.fail("fields", { key: "not_an_object", params: {} });
    return report;
  }
  const missing = REQUIRED.filter((name) => !(name in bundle));
  if (missing.length) {
    report.fail("fields", { key: "fields_missing", params: { fields: missing.join(", ") } });
    return report;
  }
  const v2 = bundle.algorithm === ALGORITHM_V2;
  report.algorithm = v2 ? ALGORITHM_V2 : ALGORITHM;
  await report.check("algorithm", () => expect(bundle.algorithm === ALGORITHM || v2, "algorithm", { got: JSON.stringify(bundle.algorithm) }));
  if (v2) {
    const lacking = REQUIRED_V2.filter((name) => !(name in bundle));
    if (lacking.length) {
      report.fail("fields", { key: "fields_missing", params: { fields: lacking.join(", ") } });
      return report;
    }
  }

  const secret = await report.check("secret_hex", () => ({ detail: {}, bytes: fromHex(bundle.server_secret) }));
  if (secret && v2) {
    await report.check("record", () => checkRecord(bundle, secret.bytes));
    await report.check("public_value", () => checkPublicValue(bundle));
  } else if (secret) {
    await report.check("commitment", async () => {
      const got = await sha256Hex(secret.bytes);
      expect(got === bundle.commitment, "commitment", { got, want: String(bundle.commitment) });
      return { detail: { hash: got } };
    });
  }
  const entropy = bundle.witness_entropy;
  await report.check("entropy_nfc", () => {
    if (typeof entropy !== "string") throw new Problem("malformed", { error: "witness_entropy is not a string" });
    expect(nfc(entropy) === entropy, "entropy_not_nfc");
  });
  let seed = null;
  if (secret && typeof entropy === "string" && v2) {
    try {
      if (typeof bundle.public_value === "string") seed = await makeSeedV2(secret.bytes, bundle.commitment, bundle.public_value, entropy);
    } catch (error) {
      seed = null;
    }
    await report.check("seed_v2", () => {
      if (seed === null) throw new Problem("malformed", { error: "commitment or public_value unreadable" });
      const got = toHex(seed);
      expect(got === bundle.seed, "seed_v2", { got, want: String(bundle.seed) });
      return { detail: { hash: got } };
    });
  } else if (secret && typeof entropy === "string") {
    seed = await seedFrom(secret.bytes, entropy);
    await report.check("seed", () => {
      const got = toHex(seed);
      expect(got === bundle.seed, "seed", { got, want: String(bundle.seed) });
      return { detail: { hash: got } };
    });
  } else report.skip("seed");
  for (const name of ["participants", "inventory"]) {
    if (`${name}_sha256` in bundle) {
      await report.check(`${name}_sha256`, async () => {
        const got = await snapshotHash(bundle[name]);
        expect(got === bundle[`${name}_sha256`], "snapshot_hash", { got, want: String(bundle[`${name}_sha256`]) });
        return { detail: { hash: got } };
      });
    } else report.skip(`${name}_sha256`);
  }

  const participants = bundle.participants;
  const inventory = bundle.inventory;
  const statedSteps = bundle.steps;
  await report.check("participants_ok", () => participantsWellFormed(participants));
  const estate = await report.check("inventory_ok", () => ({ detail: { apartments: new Estate(inventory).code.length } }));

  let prefix = bundle.step_prefix;
  if (prefix === null || prefix === undefined) {
    const first = Array.isArray(statedSteps) && statedSteps.length ? String(statedSteps[0].label) : "village";
    prefix = first.endsWith("village") ? first.slice(0, first.length - "village".length) : "";
  }
  const fixed = bundle.fixed_village_order === undefined ? null : bundle.fixed_village_order;
  await report.check("call_order", () => callOrderComplete(statedSteps, participants, prefix));
  let steps = null;
  if (seed !== null) {
    const key = await seedKey(seed);
    const recomputed = await report.check("steps_recomputed", async () => ({ steps: await expectedSteps(key, participants, prefix, fixed) }));
    if (recomputed) {
      steps = recomputed.steps;
      report.steps = steps;
      await report.check("steps_identical", () => compareSteps(Array.isArray(statedSteps) ? statedSteps : [], steps, report));
    }
  } else report.skip("steps_recomputed");

  const session = bundle.session && typeof bundle.session === "object" ? bundle.session : {};
  const mode = session.mode || (bundle.picks !== undefined && bundle.picks !== null ? "choose" : "direct");
  report.mode = mode;
  if (steps === null || !estate) {
    report.skip("allocation");
  } else if (mode === "direct") {
    const expected = await report.check("allocation_direct", () => ({ allocation: directAllocation(inventory, participants, steps) }));
    if (expected) {
      report.allocation = expected.allocation;
      await report.check("allocation_identical", () => compareAllocation(bundle.allocation, expected.allocation, "recomputed"));
    }
  } else if (mode === "choose") {
    const picks = bundle.picks || [];
    const chosen = await report.check("picks_valid", () => ({ allocation: pickedAllocation(inventory, participants, steps, picks) }), { picks: Array.isArray(picks) ? picks.length : 0 });
    if (chosen) {
      report.allocation = chosen.allocation;
      await report.check("allocation_picks", () => compareAllocation(bundle.allocation, chosen.allocation, "picks"));
      const waiting = sortedCodes(participants.map((h) => h.code).filter((c) => !chosen.allocation.has(c)));
      if (waiting.length) report.fail("every_pick", { key: "no_pick", params: { households: waiting.join(" ") } });
    }
  } else {
    report.fail("allocation", { key: "bad_mode", params: { mode: String(mode) } });
  }
  return report;
}

/* The canonical SHA-256 of a whole bundle: what the session page and the notarial record
   publish as bundle_sha256 (the bundle served at bundle.json is exactly these bytes). */
export async function bundleHash(bundle) {
  return snapshotHash(bundle);
}
