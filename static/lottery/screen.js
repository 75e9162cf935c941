/* The hall's big screen and the public live page: read-only, polling the state. A new
   reveal rolls its number into place and fades its name in (about 1.5 s); visitors who
   asked their system for less motion get it without animation (see lottery.css). */
(function () {
  "use strict";
  var L = window.Lottery, T = L.T, fmt = L.fmt, el = L.el;
  var root = document.getElementById("screen");
  if (!root) { return; }
  // The hall's screen (not the public live page) takes the whole dark page.
  if (root.classList.contains("screen")) { document.body.classList.add("screen"); }
  var shownPosition = null;

  function renderLatest(state) {
    var card = root.querySelector(".latest");
    var reveals = state.reveals || [];
    var latest = reveals[reveals.length - 1];
    var position = latest ? latest.position : 0;
    var pickKey = state.picks ? state.picks.length : 0;
    var key = position + ":" + pickKey;
    if (card.dataset.key === key) { return; }
    var animate = shownPosition !== null && position !== shownPosition;
    card.dataset.key = key;
    shownPosition = position;
    card.textContent = "";
    card.classList.remove("revealing");
    if (!latest) {
      card.classList.add("empty");
      card.appendChild(el("div", "latest-who", T.no_reveals));
      return;
    }
    card.classList.remove("empty");
    var d = L.describe(latest, state);
    card.appendChild(el("div", "latest-pos", fmt(T.position_of, {n: latest.position, total: state.total})));
    card.appendChild(el("div", "latest-step", d.step));
    var who = el("div", "latest-who", d.who);
    if (d.proxy) { who.appendChild(el("span", "proxy-tag", T.proxy)); }
    card.appendChild(who);
    if (d.detail) { card.appendChild(el("div", "latest-detail", d.detail)); }
    card.dataset.position = latest.position;
    if (animate) {
      void card.offsetWidth;  // restart the animation
      card.classList.add("revealing");
    }
  }

  function apply(state) {
    root.dataset.status = state.status;
    var paused = root.querySelector(".paused-banner");
    if (paused) { paused.hidden = !state.paused; }
    root.querySelectorAll("[data-bind]").forEach(function (node) {
      var value = state[node.dataset.bind];
      node.textContent = value === undefined || value === null ? "" : value;
    });
    root.querySelectorAll("[data-when]").forEach(function (node) {
      node.hidden = node.dataset.when.split(" ").indexOf(state.status) === -1;
    });
    var step = root.querySelector(".screen-step");
    if (step) { step.textContent = L.stepInProgress(state); }
    var progress = root.querySelector(".screen-progress");
    if (progress) { progress.textContent = fmt(T.progress, {n: state.position, total: state.total}); }
    renderLatest(state);
    var list = document.getElementById("reveal-list");
    var before = list.dataset.shown === undefined ? undefined : Number(list.dataset.shown);
    L.renderReveals(list, state, Number(list.dataset.limit) || 0, before);
    list.dataset.shown = state.position;
  }

  L.poll(root.dataset.stateUrl, apply, 1500);
  apply(L.readJson("lottery-state"));
})();
