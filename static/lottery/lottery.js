/* Shared by the lottery console, the big screen and the public live page: the words (from
   the page, translated on the server), how a reveal reads, and the polling loop. The server
   holds all state; these pages only show the latest state.json they fetched. */
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  var T = readJson("lottery-text");

  function fmt(template, values) {
    return String(template || "").replace(/%\((\w+)\)[sd]/g, function (_m, key) {
      return values[key] === undefined || values[key] === null ? "" : values[key];
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  /* What one reveal says: the level and place ("step"), who ("who"), what it gave. */
  function describe(reveal, state) {
    var rank = fmt(T.rank, {rank: reveal.rank});
    var out = {step: "", who: "", detail: "", proxy: false};
    if (reveal.level === "village") {
      out.step = T.level_village + " · " + rank;
      out.who = reveal.community_name || reveal.participant;
      out.detail = reveal.participant;
    } else if (reveal.level === "group") {
      out.step = T.level_group + " · " + (reveal.community_name || reveal.community) + " " + rank;
      out.who = reveal.group_name || reveal.participant;
      out.detail = reveal.participant;
    } else {
      out.step = T.level_household + " · " + (reveal.group_name || reveal.group) + " " + rank;
      out.who = reveal.participant + (reveal.name ? " " + reveal.name : "");
      out.proxy = !!reveal.proxy;
      var apartments = reveal.apartments;
      if (!apartments && state && state.picks) {
        var pick = state.picks.filter(function (p) { return p.household === reveal.participant; })[0];
        apartments = pick ? pick.apartments : null;
        if (!pick) { out.detail = fmt(T.pick_order, {n: reveal.position}); }
      }
      if (apartments && apartments.length) { out.detail = apartments.join("、"); }
    }
    return out;
  }

  /* The step in progress, in the words of seed 000's three levels. */
  function stepInProgress(state) {
    if (state.status === "committed") { return T.waiting_confirm; }
    if (state.status === "confirmed") { return T.waiting_entropy; }
    if (state.status === "signed") { return T.finished; }
    if (state.status === "voided") { return T.voided; }
    if (!state.next) {
      if (state.next_picker) { return fmt(T.picking, {h: state.next_picker.household}); }
      return T.all_drawn;
    }
    var level = {village: T.level_village_long, group: T.level_group_long,
                 household: T.level_household_long}[state.next.level] || "";
    return level + (state.next.parent_name ? " · " + state.next.parent_name : "");
  }

  function revealItem(reveal, state) {
    var d = describe(reveal, state);
    var li = el("li");
    li.dataset.position = reveal.position;
    li.appendChild(el("span", "pos", "#" + reveal.position));
    var body = el("span", "body");
    body.appendChild(el("div", "step", d.step));
    var who = el("div", "who", d.who);
    if (d.proxy) { who.appendChild(el("span", "proxy-tag", T.proxy)); }
    body.appendChild(who);
    if (d.detail) { body.appendChild(el("div", "apartments", d.detail)); }
    li.appendChild(body);
    return li;
  }

  /* Newest first; `limit` keeps the screen's list short; rows newer than `freshAfter`
     fade in. Rebuilt only when something changed. */
  function renderReveals(list, state, limit, freshAfter) {
    var reveals = state.reveals || [];
    var key = reveals.length + ":" + JSON.stringify(state.picks ? state.picks.length : 0);
    if (list.dataset.key === key) { return; }
    list.dataset.key = key;
    list.textContent = "";
    var shown = reveals.slice().reverse();
    if (limit) { shown = shown.slice(0, limit); }
    shown.forEach(function (reveal) {
      var li = revealItem(reveal, state);
      if (freshAfter !== undefined && reveal.position > freshAfter) { li.className = "fresh"; }
      list.appendChild(li);
    });
    if (!shown.length) { list.appendChild(el("li", "empty", T.no_reveals)); }
  }

  /* Fetch `url` every `interval` ms (never two at once) and hand each state to `apply`. */
  function poll(url, apply, interval) {
    var status = document.querySelector("[data-connection]");
    var timer = null;
    function tick() {
      clearTimeout(timer);
      return fetch(url, {credentials: "same-origin", cache: "no-store",
                         headers: {"Accept": "application/json"}})
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (state) {
          if (status) { status.textContent = ""; }
          apply(state);
        })
        .catch(function () {
          if (status) { status.textContent = T.connection_lost; }
        })
        .then(function () { timer = setTimeout(tick, interval || 1500); });
    }
    timer = setTimeout(tick, interval || 1500);
    return {now: tick};
  }

  window.Lottery = {T: T, fmt: fmt, el: el, readJson: readJson, describe: describe,
                    stepInProgress: stepInProgress, renderReveals: renderReveals, poll: poll};
})();
