/* The lottery console: poll the session's state, show what it says, post the buttons.
   Which panels a user has is decided by the server when the page is rendered; if that
   changes (a notary witnessed, a status closed a panel), the page reloads itself. */
(function () {
  "use strict";
  var L = window.Lottery, T = L.T, fmt = L.fmt, el = L.el;
  var root = document.getElementById("console");
  if (!root) { return; }
  var initial = L.readJson("lottery-state");
  var abilitiesKey = JSON.stringify(initial.abilities);
  var flash = document.getElementById("console-message");
  var current = initial;

  function complete(state) {
    return state.position >= state.total && (state.mode !== "choose" || !state.next_picker);
  }

  /* Elements carry data-when="status status …", optionally data-paused="0|1" and
     data-complete="0|1": shown only when the state matches all of them. */
  function toggle(state) {
    root.querySelectorAll("[data-when]").forEach(function (node) {
      var show = node.dataset.when.split(" ").indexOf(state.status) !== -1;
      if (show && node.dataset.paused) { show = (node.dataset.paused === "1") === !!state.paused; }
      if (show && node.dataset.complete) {
        show = (node.dataset.complete === "1") === complete(state);
      }
      node.hidden = !show;
    });
  }

  function bind(state) {
    root.querySelectorAll("[data-bind]").forEach(function (node) {
      var value = state[node.dataset.bind];
      node.textContent = value === undefined || value === null ? "" : value;
    });
    var status = root.querySelector(".badge-status");
    if (status) { status.className = "badge-status s-" + state.status; }
    var bar = root.querySelector("progress.draws");
    if (bar) { bar.max = Math.max(state.total, 1); bar.value = state.position; }
    var next = root.querySelector("[data-next]");
    if (next) {
      next.textContent = state.next
        ? fmt(T.next_is, {n: state.next.position, step: L.stepInProgress(state)})
        : L.stepInProgress(state);
    }
    var checked = root.querySelector("[data-check-ins]");
    if (checked) {
      checked.textContent = fmt(T.check_in_count, {n: state.check_ins.count, total: state.check_ins.total});
    }
  }

  function renderDraw(state) {
    var form = document.getElementById("draw-form");
    if (!form) { return; }
    var button = form.querySelector("button.draw");
    var input = form.querySelector("input[name=expected_position]");
    if (state.next) {
      input.value = state.next.position;
      button.textContent = fmt(T.draw_button, {n: state.next.position});
    } else {
      input.value = "";
      button.textContent = T.all_drawn;
    }
    if (!form.dataset.busy) {
      button.disabled = !state.next || state.paused || state.status !== "drawing";
    }
  }

  function renderCheckIns(state) {
    var body = document.getElementById("check-in-rows");
    if (!body || !state.check_in_list) { return; }
    var key = String(state.check_in_list.length);
    if (body.dataset.key === key) { return; }
    body.dataset.key = key;
    body.textContent = "";
    state.check_in_list.forEach(function (row) {
      var tr = el("tr");
      tr.appendChild(el("td", "", row.household)).dataset.label = T.household;
      tr.appendChild(el("td", "", row.attendee)).dataset.label = T.attendee;
      tr.appendChild(el("td", "", row.method)).dataset.label = T.method;
      tr.appendChild(el("td", "", new Date(row.at).toLocaleTimeString())).dataset.label = T.time;
      body.appendChild(tr);
    });
  }

  /* Choose mode: the next picker and the free apartments of their group's share. The
     boxes are rebuilt only when the picker or what is free changes, so a half-made
     choice survives the polling. */
  function renderPick(state) {
    var form = document.getElementById("pick-form");
    if (!form) { return; }
    var picker = state.next_picker;
    var ready = !!(picker && picker.revealed && state.status === "drawing");
    form.hidden = !ready;
    var waiting = document.getElementById("pick-waiting");
    if (waiting) {
      waiting.hidden = ready || !picker || state.status !== "drawing";
      if (picker && !picker.revealed) {
        waiting.textContent = fmt(T.pick_wait, {h: picker.household, n: picker.sequence});
      }
    }
    if (!ready) { return; }
    var key = picker.sequence + ":" + picker.free_apartments.length;
    if (form.dataset.key === key) { return; }
    form.dataset.key = key;
    form.querySelector("input[name=household]").value = picker.household;
    form.querySelector("input[name=expected_sequence]").value = picker.sequence;
    var demand = Object.keys(picker.demand).sort().map(function (t) {
      return t + "×" + picker.demand[t];
    }).join("、");
    form.querySelector("[data-picker]").textContent = fmt(T.picker, {
      n: picker.sequence, h: picker.household, name: picker.name || "", demand: demand
    });
    var box = form.querySelector(".apartment-choices");
    box.textContent = "";
    picker.free_apartments.forEach(function (a) {
      var label = el("label");
      var input = el("input");
      input.type = "checkbox"; input.name = "apartments"; input.value = a.code;
      label.appendChild(input);
      label.appendChild(el("span", "", a.code));
      label.appendChild(el("small", "", a.type + " · " + a.tier + " · " + a.area + "㎡"));
      box.appendChild(label);
    });
  }

  function apply(state) {
    current = state;
    if (JSON.stringify(state.abilities) !== abilitiesKey) {
      window.location.reload();
      return;
    }
    root.dataset.status = state.status;
    toggle(state);
    bind(state);
    renderDraw(state);
    renderCheckIns(state);
    renderPick(state);
    L.renderReveals(document.getElementById("reveal-list"), state);
  }

  function say(ok, message) {
    flash.className = "flash " + (ok ? "ok" : "error");
    flash.textContent = message;
  }

  var poller = L.poll(root.dataset.stateUrl, apply, 1500);

  var SAID = "lottery-console-said";
  try {
    var said = window.sessionStorage.getItem(SAID);
    if (said) { window.sessionStorage.removeItem(SAID); say(true, said); }
  } catch (e) { /* no storage: the message was shown before the reload */ }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("js-action")) { return; }
    event.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { return; }
    if (form.dataset.busy) { return; }
    form.dataset.busy = "1";
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: {"X-CSRFToken": token, "Accept": "application/json"}
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          return {ok: false, message: fmt(T.refused, {status: response.status})};
        }
        return response.json();
      })
      .catch(function () { return {ok: false, message: T.connection_lost}; })
      .then(function (result) {
        if (result.reauth_url) {
          // Signing off needs the password entered recently: confirm it, come back, sign.
          window.location.assign(result.reauth_url);
          return;
        }
        say(result.ok, result.message);
        // v2: entering the entropy or the public value changes which notary forms are left.
        // The message (it names the next step) is shown again once the page is back.
        if (result.ok && form.dataset.reload) {
          try { window.sessionStorage.setItem(SAID, result.message); } catch (e) { /* private mode */ }
          window.location.reload();
          return;
        }
        if (result.ok && form.dataset.reset !== "no") { form.reset(); }
        delete form.dataset.busy;
        buttons.forEach(function (b) { b.disabled = false; });
        return poller.now();
      });
  });

  apply(initial);
})();
