/* The phone verify page (/public/lottery/<code>/verify/): downloads the session's published
   bundle, or reads a file the visitor chooses, and hands it to rs_lottery_v1.js, which
   recomputes everything in this browser. This file only shows the result: the verdict (the
   first problem, if any), every check, every step's recomputed draw order, and a household's
   recomputed apartments. The words come translated from the server (#verify-text). */

const root = document.getElementById("verifier");
const T = JSON.parse(document.getElementById("verify-text").textContent);
const lottery = await import(root.dataset.module);

function fmt(template, params = {}) {
  return String(template === undefined ? "" : template).replace(/%\((\w+)\)s/g, (_m, name) => {
    const value = params[name];
    if (name === "source" && T["source_" + value] !== undefined) return T["source_" + value];
    return value === undefined || value === null ? "" : String(value);
  });
}

function sentence(problem) {
  const template = T["problem_" + problem.key];
  return template === undefined ? `${problem.key} ${JSON.stringify(problem.params)}` : fmt(template, problem.params);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

const $ = (id) => document.getElementById(id);
let current = null; // {report, bundle} of the last run, for the household search
let running = 0; // a newer run makes an older one's late results irrelevant

function setVerdict(state, text) {
  $("verdict").hidden = false;
  $("verdict").dataset.state = state;
  $("verdict-text").textContent = text;
}

function reset(sourceText) {
  current = null;
  for (const id of ["checks", "steps"]) $(id).replaceChildren();
  for (const id of ["checks-card", "steps-card", "allocation-card"]) $(id).hidden = true;
  $("household-result").textContent = "";
  $("verdict-source").textContent = sourceText;
  $("verdict-time").textContent = "";
  delete $("verdict").dataset.elapsedMs;
}

function showChecks(checks) {
  const list = $("checks");
  for (const check of checks) {
    const item = el("li", "check " + check.status);
    item.dataset.check = check.key;
    item.append(el("span", "mark", T[check.status]), el("span", "title", T["check_" + check.key] || check.key));
    if (check.problem) item.append(el("span", "problem", sentence(check.problem)));
    else if (check.status === "ok" && T["ok_" + check.key]) item.append(el("span", "detail", fmt(T["ok_" + check.key], check.params)));
    if (check.status === "ok" && check.params.hash) item.append(el("code", "digest", check.params.hash));
    list.append(item);
  }
  $("checks-card").hidden = false;
}

function showSteps(report) {
  const list = $("steps");
  if (!report.stepResults.length) {
    list.append(el("li", "problem", T.steps_none));
  }
  for (const step of report.stepResults) {
    const item = el("li", "verify-step " + (step.ok ? "ok" : "fail"));
    item.dataset.label = step.label;
    const head = el("div", "step-head");
    head.append(el("span", "number", String(step.number)), el("code", "label", step.label), el("span", "mark", step.ok ? T.step_ok : T.step_bad));
    if (step.fixed) head.append(el("span", "muted small", T.step_fixed));
    const codes = el("div", "step-codes");
    codes.append(el("span", "before", step.participants.join(" ")), el("span", "arrow", "→"), el("span", "after", step.order.join(" ")));
    item.append(head, codes);
    list.append(item);
  }
  $("steps-card").hidden = false;
}

function showAllocation(report) {
  if (!report.allocation) {
    $("allocation-count").textContent = T.allocation_none;
  } else {
    let apartments = 0;
    for (const codes of report.allocation.values()) apartments += codes.length;
    $("allocation-count").textContent = fmt(T.allocation_count, { households: report.allocation.size, apartments });
  }
  $("allocation-card").hidden = false;
}

function lookUp(code) {
  const out = $("household-result");
  out.replaceChildren();
  if (!current || !current.report.allocation || !code) return;
  const allocation = current.report.allocation;
  if (!allocation.has(code)) {
    out.textContent = fmt(T.household_unknown, { household: code });
    return;
  }
  const apartments = lottery.sortedCodes(allocation.get(code));
  out.append(
    el(
      "strong",
      null,
      apartments.length ? fmt(T.household_found, { household: code, apartments: apartments.join("、") }) : fmt(T.household_no_apartments, { household: code }),
    ),
  );
  const step = current.report.stepResults.find((s) => s.label.includes("household/") && s.order.includes(code));
  if (step) out.append(el("br"), el("span", "muted small", fmt(T.household_drawn, { label: step.label, rank: step.order.indexOf(code) + 1 })));
}

/* Everything this page checks beyond rs_lottery_v1.verify: that the text reads as JSON, and
   that the bundle is the one this session published (its canonical SHA-256, docs/lottery.md
   §16). That last check comes after the recomputation, so a changed bundle is reported by
   what changed in it, not only by its hash. */
async function bundleHashCheck(bundle, fromFile) {
  const published = root.dataset.bundleSha256;
  const session = bundle && typeof bundle.session === "object" && bundle.session ? bundle.session.code : undefined;
  if (fromFile && session !== root.dataset.session) {
    return { key: "bundle_hash", status: "skip", params: {}, problem: { key: "other_session", params: { got: String(session), want: root.dataset.session } } };
  }
  if (!published) return null;
  let hash;
  try {
    hash = await lottery.bundleHash(bundle);
  } catch (error) {
    return { key: "bundle_hash", status: "fail", params: {}, problem: { key: error.key || "malformed", params: error.params || { error: error.message } } };
  }
  if (hash === published) return { key: "bundle_hash", status: "ok", params: { hash }, problem: null };
  return { key: "bundle_hash", status: "fail", params: {}, problem: { key: "bundle_hash", params: { got: hash, want: published } } };
}

/* docs/lottery.md §17: a bundle that carries a merkle_root must carry the root of its own
   allocation rows (merkle.js); a bundle from before roots were published has none. */
async function merkleRootCheck(bundle) {
  if (!bundle || typeof bundle !== "object" || !("merkle_root" in bundle) || !root.dataset.merkleModule) return null;
  try {
    const merkle = await import(root.dataset.merkleModule);
    const got = await merkle.merkleRoot(Array.isArray(bundle.allocation) ? bundle.allocation : []);
    if (got === bundle.merkle_root) return { key: "merkle_root", status: "ok", params: { hash: got }, problem: null };
    return { key: "merkle_root", status: "fail", params: {}, problem: { key: "merkle_root", params: { got, want: String(bundle.merkle_root) } } };
  } catch (error) {
    return { key: "merkle_root", status: "fail", params: {}, problem: { key: "malformed", params: { error: "allocation rows" } } };
  }
}

async function run(readText, sourceText, fromFile) {
  const thisRun = ++running;
  reset(sourceText);
  setVerdict("running", T.running);
  const started = performance.now();
  const checks = [];
  let bundle = null;
  if (!(globalThis.crypto && globalThis.crypto.subtle)) {
    checks.push({ key: "load", status: "fail", params: {}, problem: { key: "no_webcrypto", params: {} } });
  } else {
    try {
      bundle = lottery.parseJson(await readText());
      checks.push({ key: "load", status: "ok", params: {}, problem: null });
    } catch (error) {
      const key = error instanceof SyntaxError ? "not_json" : "fetch_failed";
      checks.push({ key: "load", status: "fail", params: {}, problem: { key, params: { error: error.message } } });
    }
  }
  let report = null;
  if (bundle !== null) {
    try {
      report = await lottery.verify(bundle);
      checks.push(...report.checks);
    } catch (error) {
      checks.push({ key: "fields", status: "fail", params: {}, problem: { key: "malformed", params: { error: `${error.name}: ${error.message}` } } });
    }
    const rootCheck = await merkleRootCheck(bundle);
    if (rootCheck) checks.push(rootCheck);
    const hashCheck = await bundleHashCheck(bundle, fromFile);
    if (hashCheck) checks.push(hashCheck);
  }
  if (thisRun !== running) return; // the visitor started another verification meanwhile
  const failed = checks.find((check) => check.status === "fail");
  const problem = failed ? failed.problem : null;
  const seconds = (performance.now() - started) / 1000;
  current = report ? { report, bundle } : null;
  showChecks(checks);
  if (report) {
    showSteps(report);
    showAllocation(report);
  }
  setVerdict(problem ? "failed" : "verified", problem ? fmt(T.failed, { problem: sentence(problem) }) : T.verified);
  $("verdict").dataset.elapsedMs = String(Math.round(seconds * 1000));
  $("verdict-time").textContent = fmt(T.elapsed, { seconds: seconds.toFixed(2) });
  if (fromFile) $("verdict").scrollIntoView({ block: "nearest" });
}

function verifyPublished() {
  const url = root.dataset.bundleUrl;
  return run(
    async () => {
      setVerdict("running", T.loading);
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    },
    T.source_published,
    false,
  );
}

function verifyFile(input) {
  const file = input.files && input.files[0];
  if (!file) return;
  run(
    () => {
      setVerdict("running", T.reading);
      return file.text();
    },
    fmt(T.source_file, { name: file.name }),
    true,
  );
}

const fileInput = $("bundle-file");
fileInput.addEventListener("change", (event) => verifyFile(event.target));
// A file chosen while the verifier was still loading (a slow phone, the module import above)
// fired its change event before anyone listened: verify it now.
const chosenEarly = Boolean(fileInput.files && fileInput.files.length);
if (chosenEarly) verifyFile(fileInput);

$("household-search").addEventListener("submit", (event) => {
  event.preventDefault();
  lookUp($("household-code").value.trim());
});

const again = $("verify-published");
if (again) again.addEventListener("click", verifyPublished);
if (root.dataset.bundleUrl && !chosenEarly) verifyPublished();
