/* The test vectors of docs/lottery.md §14, recomputed by the browser implementation
   (rs_lottery_v1.js). `vectors()` returns exactly the text `python3 verify_lottery.py
   --vectors` prints, so the test suite can compare the two implementations line by line
   (tests/browser/test_verify_page.py runs this in Chromium). The inputs below are the ones
   the document gives; nothing is read from the Python side. Not used by the verify page. */

import {
  Estate,
  RandomStream,
  canonicalJson,
  closestSum,
  bestSplit,
  dealPackages,
  directAllocation,
  expectedSteps,
  makePackages,
  makeSeed,
  makeSeedV2,
  nfc,
  reachableSums,
  seedKey,
  sharesAndPackages,
  sha256Hex,
  shuffle,
  snapshotHash,
  sortedCodes,
  streamBlock,
  toHex,
  utf8Bytes,
  v2StepPrefix,
} from "./rs_lottery_v1.js";

const SECRET = Uint8Array.from({ length: 32 }, (_v, i) => i);
const ENTROPY = "3-1-4-1-5 九二六";
const LETTERS = "ABCDEFGHIJ".split("");
const TWO_64 = 1n << 64n;

const EXAMPLE_ROWS = [
  ["1-1-101", "1", 1, "T90", "C", "90.12"],
  ["1-1-102", "1", 1, "T90", "C", "89.80"],
  ["1-1-201", "1", 2, "T90", "A", "90.12"],
  ["1-1-202", "1", 2, "T60", "A", "60.35"],
  ["1-1-301", "1", 3, "T90", "B", "90.12"],
  ["1-1-302", "1", 3, "T90", "B", "89.80"],
  ["2-1-101", "2", 1, "T90", "C", "90.12"],
  ["2-1-102", "2", 1, "T60", "C", "60.35"],
  ["2-1-201", "2", 2, "T60", "A", "60.35"],
  ["2-1-202", "2", 2, "T90", "A", "89.80"],
  ["2-1-301", "2", 3, "T90", "B", "90.12"],
  ["2-1-302", "2", 3, "T90", "B", "89.80"],
];
export const EXAMPLE_INVENTORY = EXAMPLE_ROWS.map(([code, building, floor, type, tier, area]) => ({ code, building, stair: "1", floor, type, tier, area }));
export const EXAMPLE_PARTICIPANTS = [
  ["H01", "C01", "G01", { T90: 2 }],
  ["H02", "C01", "G01", { T90: 2 }],
  ["H03", "C01", "G01", { T60: 1, T90: 1 }],
  ["H04", "C01", "G02", { T60: 1 }],
  ["H05", "C01", "G02", { T90: 1 }],
  ["H06", "C02", "G03", { T90: 1 }],
  ["H07", "C02", "G03", { T60: 1, T90: 1 }],
  ["H08", "C02", "G03", { T90: 1 }],
].map(([code, community, group, demand]) => ({ code, community, group, demand }));

const V9_COMBINATION = [["T60", 1], ["T90", 2]];
const V9_POOL = [
  ["P01", "T90", "B"],
  ["P02", "T90", "A"],
  ["P03", "T60", "B"],
  ["P04", "T90", "C"],
  ["P05", "T60", "C"],
  ["P06", "T90", "A"],
];
const V10_RICH = [["Q01", "T90", "A"], ["Q02", "T90", "A"]];
const V10_POOR = [["Q03", "T90", "B"], ["Q04", "T90", "C"]];
const V11_COMBINATION = [["T60", 2], ["T90", 1]];
const V11_TYPES = "T90 T60 T90 T60 T60 T90 T60 T90 T60 T60 T60 T60".split(" ");
const V11_TIERS = "C C A A B C C B A B C A".split(" ");
const V11_POOL = V11_TYPES.map((type, i) => [`R${String(i + 1).padStart(2, "0")}`, type, V11_TIERS[i]]);

export const EDGE_INVENTORY = [
  ["1-1-901", 9, "T90", "B", "90.12"],
  ["1-1-902", 9, "T60", "B", "60.35"],
  ["1-1-1001", 10, "T90", "A", "90.12"],
  ["1-1-1002", 10, "T60", "A", "60.35"],
  ["1-1-1101", 11, "T90", "C", "90.12"],
].map(([code, floor, type, tier, area]) => ({ code, building: "1", stair: "1", floor, type, tier, area }));
export const EDGE_PARTICIPANTS = [
  { code: "H1", community: "C1", group: "G1", demand: { T90: 2 } },
  { code: "H2", community: "C1", group: "G1", demand: {} },
  { code: "H3", community: "C1", group: "G1", demand: { T60: 1, T90: 0 } },
  { code: "H4", community: "C2", group: "G2", demand: {} },
];

/* json.dumps(text) with ensure_ascii=True: non-ASCII as \uxxxx (lower case). */
function asciiJson(text) {
  return JSON.stringify(text).replace(/[\u0080-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

/* The bundle of the worked example (§15), or of the edge example (V12). */
export async function exampleBundle(inventory = EXAMPLE_INVENTORY, participants = EXAMPLE_PARTICIPANTS, code = "EXAMPLE-1") {
  const seed = await makeSeed(SECRET, ENTROPY);
  const steps = await expectedSteps(await seedKey(seed), participants);
  const allocation = directAllocation(inventory, participants, steps);
  const households = sortedCodes([...allocation.keys()]);
  return {
    algorithm: "rs-lottery-v1",
    session: {
      code,
      project: "EXAMPLE",
      title: "Worked example of docs/lottery.md",
      created_at: "2024-05-01T01:00:00Z",
      committed_at: "2024-05-01T01:00:00Z",
      entropy_at: "2024-05-18T01:30:00Z",
      closed_at: "2024-05-18T02:00:00Z",
      estate: "E1",
      mode: "direct",
    },
    commitment: await sha256Hex(SECRET),
    server_secret: toHex(SECRET),
    witness_entropy: ENTROPY,
    seed: toHex(seed),
    step_prefix: "",
    fixed_village_order: null,
    participants,
    participants_sha256: await snapshotHash(participants),
    inventory,
    inventory_sha256: await snapshotHash(inventory),
    steps,
    allocation: households.map((h) => ({ household: h, apartments: sortedCodes(allocation.get(h)) })),
  };
}

// V13 (§13a): the worked example as an rs-lottery-v2 session; the public values are made up.
const V13_LOTTERY = { kind: "welfare_lottery", game: "福彩3D", draw: "2024130", date: "2024-05-17" };
const V13_LOTTERY_VALUE = "3 8 1";
const V13_DRAND = { kind: "drand", chain: "ab".repeat(32), round: 1000 };
const V13_SIGNATURE = Uint8Array.from({ length: 48 }, (_v, i) => i + 1);

async function v2Record(bundle, publicSource, estates = ["E1"]) {
  const sorted = sortedCodes([...new Set(estates)]);
  return {
    algorithm: "rs-lottery-v2",
    secret_sha256: await sha256Hex(SECRET),
    project: bundle.session.project,
    session: bundle.session.code,
    estate: bundle.session.estate,
    estates: sorted,
    step_prefix: v2StepPrefix(bundle.session.estate, sorted),
    mode: bundle.session.mode,
    fixed_village_order: bundle.fixed_village_order,
    participants_sha256: bundle.participants_sha256,
    inventory_sha256: bundle.inventory_sha256,
    public_source: publicSource,
  };
}

function uint32Hex(n) {
  return n.toString(16).padStart(8, "0");
}

async function v13Lines() {
  const out = [];
  const bundle = await exampleBundle(EXAMPLE_INVENTORY, EXAMPLE_PARTICIPANTS, "EXAMPLE-V2");
  const record = await v2Record(bundle, V13_LOTTERY);
  const commitment = await snapshotHash(record);
  const seed = await makeSeedV2(SECRET, commitment, V13_LOTTERY_VALUE, ENTROPY);
  const steps = await expectedSteps(await seedKey(seed), bundle.participants);
  const allocation = directAllocation(bundle.inventory, bundle.participants, steps);
  out.push("    public_source          " + canonicalJson(V13_LOTTERY));
  out.push("    public_value           " + JSON.stringify(V13_LOTTERY_VALUE));
  out.push("    commitment record (canonical JSON, one line):");
  out.push("    " + canonicalJson(record));
  out.push("    commitment             " + commitment);
  const p = utf8Bytes(V13_LOTTERY_VALUE);
  const e = utf8Bytes(ENTROPY);
  out.push("    seed input (hex)       " + toHex(utf8Bytes("rs-lottery-v2")) + "00" + toHex(SECRET) + commitment + uint32Hex(p.length) + toHex(p) + uint32Hex(e.length) + toHex(e));
  out.push("    seed                   " + toHex(seed));
  for (const step of steps) out.push(`    step ${step.label.padEnd(16)} ${step.participants.join(" ")}  ->  ${step.order.join(" ")}`);
  for (const household of sortedCodes([...allocation.keys()])) out.push(`    ${household}  ${sortedCodes(allocation.get(household)).join(" ")}`);
  const two = await v2Record(bundle, V13_LOTTERY, ["E2", "E1"]);
  const twoCommitment = await snapshotHash(two);
  out.push('    the same session in a project with estates E1 E2 (step_prefix "E1/"):');
  out.push("    commitment             " + twoCommitment);
  const twoSeed = await makeSeedV2(SECRET, twoCommitment, V13_LOTTERY_VALUE, ENTROPY);
  out.push("    seed                   " + toHex(twoSeed));
  const village = (await expectedSteps(await seedKey(twoSeed), bundle.participants, "E1/"))[0];
  out.push(`    step ${village.label.padEnd(16)} ${village.order.join(" ")}`);
  const drand = await v2Record(bundle, V13_DRAND);
  const randomness = await sha256Hex(V13_SIGNATURE);
  const drandCommitment = await snapshotHash(drand);
  out.push("    the same session with a drand round named instead:");
  out.push("    public_source          " + canonicalJson(V13_DRAND));
  out.push("    signature              " + toHex(V13_SIGNATURE));
  out.push("    randomness = SHA-256   " + randomness);
  out.push("    commitment             " + drandCommitment);
  out.push("    seed                   " + toHex(await makeSeedV2(SECRET, drandCommitment, randomness, ENTROPY)));
  return out;
}

function codes(estate, positions) {
  return positions.map((p) => estate.code[p]).join(" ") || "-";
}

function tiers(estate, positions) {
  return positions.map((p) => "CBA"[estate.points[p] - 1]).join("");
}

function total(estate, positions) {
  return estate.total(positions);
}

function exampleLines(bundle) {
  const out = [];
  out.push("    participants_sha256    " + bundle.participants_sha256);
  out.push("    inventory_sha256       " + bundle.inventory_sha256);
  for (const step of bundle.steps) {
    const fixed = step.fixed ? " (fixed)" : "";
    out.push(`    step ${step.label.padEnd(15)} ${step.participants.join(" ")}  ->  ${step.order.join(" ")}${fixed}`);
  }
  const estate = new Estate(bundle.inventory);
  const { communityShares, groupShares, packages } = sharesAndPackages(estate, bundle.participants, bundle.steps);
  for (const [community, share] of communityShares) out.push(`    share of community ${community}: ` + codes(estate, share));
  for (const [group, share] of groupShares) {
    out.push(`    share of group ${group}:     ` + codes(estate, share));
    for (const [combination, boxes] of packages.get(group)) {
      const name = combination.map(([t, c]) => `${t}x${c}`).join("+") || "(nothing)";
      boxes.forEach((box, k) => {
        out.push(`      ${name.padEnd(11)} package ${k + 1}: ${codes(estate, box)}  ${tiers(estate, box) || "-"} = ${total(estate, box)} points`);
      });
    }
  }
  return out;
}

function rowsEstate(rows) {
  return new Estate(rows.map(([code, type, tier]) => ({ code, type, tier })));
}

function pairLines(estate, rich, poor, richName, poorName) {
  const sum = total(estate, rich.concat(poor));
  const gap = total(estate, rich) - total(estate, poor);
  const out = [`    ${richName} (${total(estate, rich)} points) and ${poorName} (${total(estate, poor)} points): total ${sum}, gap ${gap}; sums for ${richName}, in the order reached:`];
  const tables = [];
  const reach = reachableSums(estate, rich, poor, tables);
  for (const [type, table] of tables) {
    const sums = [...table].map(([s, ps]) => `${s} {${codes(estate, ps)}}`).join("  ");
    out.push(`      after ${type.padEnd(6)} ${sums}`);
  }
  const best = closestSum(reach, sum);
  const tied = [...reach.keys()].filter((s) => Math.abs(2 * s - sum) === Math.abs(2 * best - sum)).sort((a, b) => b - a);
  const closest = tied.join(" and ");
  const split = bestSplit(estate, rich, poor);
  if (split === null) out.push(`      closest ${closest}: no narrower gap, the pair stays as it is`);
  else {
    const sorted = (ps) => ps.slice().sort((p, q) => p - q);
    out.push(`      closest ${closest}, taken ${best}: ${richName} gets ${codes(estate, sorted(split[0]))}, ${poorName} ${codes(estate, sorted(split[1]))}`);
  }
  return out;
}

function classLines(rows, combination) {
  const estate = rowsEstate(rows);
  const n = rows.length / combination.reduce((s, [, c]) => s + c, 0);
  const pool = rows.map((_r, i) => i);
  const name = combination.map(([t, c]) => `${t}x${c}`).join("+");
  const out = [`    class ${name} of ${n} households, its pool in orientation order:`];
  for (let first = 0; first < rows.length; first += 6) out.push("      " + rows.slice(first, first + 6).map((r) => r.join(" ")).join("  "));
  const { packages: dealt, points } = dealPackages(estate, pool, combination, n);
  dealt.forEach((package_, k) => {
    const listed = package_.slice().sort((p, q) => p - q);
    out.push(`    ${(k === 0 ? "dealt (§10.4)" : "").padEnd(14)} package ${k + 1}: ${codes(estate, listed)}  ${tiers(estate, listed)} = ${points[k]} points`);
  });
  const ranked = [...points.keys()].sort((k, l) => points[l] - points[k] || k - l);
  const last = ranked[ranked.length - 1];
  if (points[ranked[0]] - points[last] >= 2) {
    out.push("    the first pair tried, the richest and the poorest:");
    out.push(...pairLines(estate, dealt[ranked[0]], dealt[last], `package ${ranked[0] + 1}`, `package ${last + 1}`));
  }
  const trace = [];
  const packages = makePackages(estate, pool, combination, n, trace);
  trace.forEach(([kind, which], m) => {
    if (kind === "pair") out.push(`    move ${m + 1}: rebalance package ${which[0] + 1} and package ${which[1] + 1}`);
    else out.push(`    move ${m + 1}: one point along the chain ${which.map((k) => `package ${k + 1}`).join(" > ")}`);
  });
  packages.forEach((package_, k) => {
    out.push(`    ${(k === 0 ? "packages" : "").padEnd(14)} package ${k + 1}: ${codes(estate, package_)}  ${tiers(estate, package_)} = ${total(estate, package_)} points`);
  });
  return out;
}

/* The text of docs/lottery.md §14 (what `verify_lottery.py --vectors` prints). */
export async function vectors() {
  const out = [];
  const seed = await makeSeed(SECRET, ENTROPY);
  const key = await seedKey(seed);
  out.push("V1  server_secret          " + toHex(SECRET));
  out.push("V2  commitment             " + (await sha256Hex(SECRET)));
  out.push("V3  witness_entropy        " + JSON.stringify(ENTROPY));
  out.push("    UTF-8 bytes            " + toHex(utf8Bytes(ENTROPY)));
  out.push("    seed                   " + toHex(seed));
  const decomposed = "e\u0301";
  out.push('V4  witness_entropy        "e\\u0301" (e + combining acute, 2 code points)');
  out.push("    NFC                    " + asciiJson(nfc(decomposed)) + " = U+00E9, UTF-8 " + toHex(utf8Bytes(nfc(decomposed))));
  out.push("    seed                   " + toHex(await makeSeed(SECRET, decomposed)));
  out.push('    seed of "\\u00e9"       ' + toHex(await makeSeed(SECRET, "\u00e9")));
  out.push('V5  stream "village" (seed of V3)');
  for (let i = 0; i < 3; i++) out.push(`    block ${i}                ` + toHex(await streamBlock(key, "village", i)));
  out.push('V6  uniform(n): first 10 results, a fresh stream "village" for each n (seed of V3)');
  const big = (1n << 63n) + 1n;
  for (const n of [6n, 10n, 1000n, big]) {
    const stream = new RandomStream(key, "village");
    const results = [];
    for (let k = 0; k < 10; k++) results.push(await stream.uniform(n));
    out.push(`    n = ${n === big ? "2**63+1" : String(n)}`);
    for (let first = 0; first < 10; first += 5) out.push("      " + results.slice(first, first + 5).join(" "));
    const rejected = stream.draws.filter(([, kept]) => !kept).length;
    out.push(`      limit ${TWO_64 - (TWO_64 % n)}, values read ${stream.draws.length}, rejected ${rejected}`);
  }
  const stream = new RandomStream(key, "village");
  for (let k = 0; k < 10; k++) await stream.uniform(big);
  out.push("    n = 2**63+1, every 8-byte value read, in order (x, kept or rejected):");
  for (const [x, kept] of stream.draws) out.push(`      ${String(x).padStart(20)} ${kept ? "kept" : "REJECTED"}`);
  out.push("V7  shuffle of A B C D E F G H I J (seed of V3)");
  for (const label of ["village", "group/C01", "E1/household/G01"]) out.push(`    ${label.padEnd(20)} ` + (await shuffle(key, label, LETTERS)).join(" "));
  out.push("V8  worked example (docs/lottery.md §15), seed of V3, direct mode");
  let bundle = await exampleBundle();
  out.push(...exampleLines(bundle));
  for (const row of bundle.allocation) out.push(`    ${row.household}  ${row.apartments.join(" ")}`);
  out.push("V9  §10.5 combining: sums so far outer, options inner, a fresh table for each type");
  out.push(...classLines(V9_POOL, V9_COMBINATION));
  out.push("V10 §10.5 of two equally close sums the larger (a pair; never a class of §10.4)");
  const pair = rowsEstate(V10_RICH.concat(V10_POOR));
  out.push("    R holds " + V10_RICH.map((r) => r.join(" ")).join("  "));
  out.push("    Q holds " + V10_POOR.map((r) => r.join(" ")).join("  "));
  out.push(...pairLines(pair, [0, 1], [2, 3], "R", "Q"));
  out.push("V11 §10.5 a chain is carried out as soon as it reaches a poorest package");
  out.push(...classLines(V11_POOL, V11_COMBINATION));
  out.push("V12 edge example (docs/lottery.md §10.3, §12), seed of V3, direct mode");
  bundle = await exampleBundle(EDGE_INVENTORY, EDGE_PARTICIPANTS, "EXAMPLE-EDGE");
  out.push(...exampleLines(bundle));
  out.push("    allocation, as the bundle lists it (canonical JSON):");
  for (const row of bundle.allocation) out.push("    " + canonicalJson(row));
  out.push("V13 rs-lottery-v2 (docs/lottery.md §13a): the worked example, secret of V1, entropy of V3");
  out.push(...(await v13Lines()));
  return out.join("\n");
}
