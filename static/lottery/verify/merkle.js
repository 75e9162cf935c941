/* Household receipts (docs/lottery.md §17), in JavaScript with WebCrypto: the Merkle root of
   a bundle's allocation rows, and a receipt checked against a published root. One ES module
   without dependencies, written from the document; the receipt page (receipt.js) and the
   verify page (page.js) use it, and it runs in node 20 too.

   leaf = SHA-256(0x00 ‖ canonical JSON of {"household", "apartments"})
   node = SHA-256(0x01 ‖ left ‖ right)
   leaves in the bundle's allocation order; an odd last node goes up a level unchanged. */

const utf8 = new TextEncoder();
const B64URL = /^[A-Za-z0-9_-]*$/;

export class ReceiptProblem extends Error {
  constructor(key, params = {}) {
    super(key);
    this.key = key;
    this.params = params;
  }
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/* The hashed part of an allocation row, as canonical JSON (§2): keys in code-point order
   ("apartments" before "household"), no spaces, strings escaped as JSON.stringify does. */
export function rowBytes(row) {
  const household = row && row.household;
  const apartments = row && row.apartments;
  if (typeof household !== "string" || !Array.isArray(apartments) || !apartments.every((a) => typeof a === "string")) {
    throw new ReceiptProblem("malformed");
  }
  return utf8.encode(`{"apartments":${JSON.stringify(apartments)},"household":${JSON.stringify(household)}}`);
}

async function sha256(...parts) {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", all));
}

export function leafHash(row) {
  return sha256(Uint8Array.of(0), rowBytes(row));
}

export function nodeHash(left, right) {
  return sha256(Uint8Array.of(1), left, right);
}

/* The hex root of these rows, in the order given; no rows: SHA-256 of nothing. */
export async function merkleRoot(rows) {
  if (!rows.length) return toHex(await sha256(new Uint8Array(0)));
  let level = await Promise.all(rows.map(leafHash));
  while (level.length > 1) {
    const up = [];
    for (let i = 0; i + 1 < level.length; i += 2) up.push(nodeHash(level[i], level[i + 1]));
    if (level.length % 2) up.push(level[level.length - 1]);
    level = await Promise.all(up);
  }
  return toHex(level[0]);
}

function fromBase64Url(text) {
  if (!B64URL.test(text) || text.length % 4 === 1) throw new ReceiptProblem("malformed");
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/* A receipt's compact form `1.<index>.<count>.<row>.<proof>` (§17.4). */
export function parseReceipt(text) {
  const parts = String(text || "").trim().split(".");
  if (parts.length !== 5 || parts[0] !== "1" || !/^\d+$/.test(parts[1]) || !/^\d+$/.test(parts[2])) {
    throw new ReceiptProblem("malformed");
  }
  let row;
  try {
    row = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(fromBase64Url(parts[3])));
  } catch (error) {
    throw new ReceiptProblem("malformed");
  }
  if (row === null || typeof row !== "object") throw new ReceiptProblem("malformed");
  row = { household: row.household, apartments: row.apartments };
  rowBytes(row); // well formed?
  const proofBytes = fromBase64Url(parts[4]);
  if (proofBytes.length % 32) throw new ReceiptProblem("malformed");
  const proof = [];
  for (let i = 0; i < proofBytes.length; i += 32) proof.push(proofBytes.slice(i, i + 32));
  return { row, index: Number(parts[1]), count: Number(parts[2]), proof };
}

/* The root the receipt's row leads to through its proof (§17.3). */
export async function rootFromProof(receipt) {
  const { row, index, count, proof } = receipt;
  if (!(index >= 0 && index < count)) throw new ReceiptProblem("malformed");
  let node = await leafHash(row);
  let i = index;
  let width = count;
  let used = 0;
  while (width > 1) {
    if (i % 2 === 1 || i + 1 < width) {
      if (used >= proof.length) throw new ReceiptProblem("malformed");
      const sibling = proof[used++];
      node = i % 2 === 1 ? await nodeHash(sibling, node) : await nodeHash(node, sibling);
    }
    i = Math.floor(i / 2);
    width = Math.ceil(width / 2);
  }
  if (used !== proof.length) throw new ReceiptProblem("malformed");
  return toHex(node);
}

/* Check a receipt against the published root and, when given, the household it should be
   for, from its place among `rows` rows (the published count). Returns the computed root; throws ReceiptProblem "root_mismatch" (a changed row or
   proof, or another session's receipt) or "other_household" (a valid receipt of another). */
export async function checkReceipt(receipt, root, household = "", rows = null) {
  const computed = await rootFromProof(receipt);
  if (computed !== root || (rows !== null && receipt.count !== rows)) throw new ReceiptProblem("root_mismatch", { computed });
  if (household && receipt.row.household !== household) {
    throw new ReceiptProblem("other_household", { got: receipt.row.household, want: household, computed });
  }
  return computed;
}
