/* The receipt check page (/public/lottery/<code>/receipt/): reads the household and the
   receipt from the URL fragment (#h=<household>&r=<receipt>, which never reaches the server)
   or from what the visitor types, and checks the receipt with merkle.js against the root the
   page carries (the session's published Merkle root). Nothing is downloaded. The words come
   translated from the server (#receipt-words). */

const root = document.getElementById("receipt-check");
const T = JSON.parse(document.getElementById("receipt-words").textContent);
const merkle = await import(root.dataset.module);
const $ = (id) => document.getElementById(id);

function fmt(template, params = {}) {
  return String(template === undefined ? "" : template).replace(/%\((\w+)\)s/g, (_m, name) => (params[name] === undefined ? "" : String(params[name])));
}

function show(state, text, detail = "", computed = "") {
  $("verdict").hidden = false;
  $("verdict").dataset.state = state;
  $("verdict-text").textContent = text;
  $("verdict-detail").textContent = detail;
  $("computed-root-line").hidden = !computed;
  $("computed-root-label").textContent = T.computed_root;
  $("computed-root").textContent = computed;
}

function fail(key, params = {}) {
  $("verdict").dataset.problem = key;
  show("failed", fmt(T.failed, { problem: fmt(T["problem_" + key], params) }), "", params.computed || "");
}

async function check() {
  delete $("verdict").dataset.problem;
  const text = $("receipt-text").value.trim();
  const household = $("receipt-household").value.trim();
  if (!(globalThis.crypto && globalThis.crypto.subtle)) return fail("no_webcrypto");
  if (!root.dataset.root) return fail("no_root");
  if (!text) return fail("empty");
  show("running", T.running);
  try {
    const receipt = merkle.parseReceipt(text);
    const computed = await merkle.checkReceipt(receipt, root.dataset.root, household, Number(root.dataset.rows));
    const apartments = receipt.row.apartments.length ? receipt.row.apartments.join("、") : T.no_apartments;
    show(
      "verified",
      T.verified,
      fmt(T.verified_detail, { household: receipt.row.household, apartments, number: receipt.index + 1, count: receipt.count }),
      computed,
    );
  } catch (error) {
    if (error instanceof merkle.ReceiptProblem) fail(error.key, error.params);
    else fail("malformed");
  }
}

function fromFragment() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  if (params.has("h")) $("receipt-household").value = params.get("h");
  if (params.has("r")) $("receipt-text").value = params.get("r");
  return params.has("r");
}

$("receipt-form").addEventListener("submit", (event) => {
  event.preventDefault();
  check();
});
window.addEventListener("hashchange", () => {
  if (fromFragment()) check();
});
if (fromFragment()) check();
