// Refresh unfinished jobs every few seconds from their status endpoint.
(function () {
  function refresh(section) {
    fetch(section.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { return; }
        var bar = section.querySelector("progress");
        bar.max = status.total; bar.value = status.done; bar.textContent = status.percent + "%";
        section.querySelector(".progress-text").textContent =
          section.dataset.doneText.replace("%(done)s", status.done).replace("%(total)s", status.total);
        status.parts.forEach(function (part) {
          var row = section.querySelector('tr[data-part="' + part.id + '"]');
          if (!row) { return; }
          row.querySelector(".part-status").textContent = part.status_label;
          row.querySelector(".part-pages").textContent = part.pages || "—";
          var cell = row.querySelector(".part-file");
          if (part.download && !cell.querySelector("a")) {
            var link = document.createElement("a");
            link.href = part.download; link.textContent = section.dataset.downloadText;
            cell.appendChild(link);
          }
        });
        if (status.finished) { section.dataset.finished = "1"; }
      })
      .catch(function () {});
  }
  function tick() {
    var pending = document.querySelectorAll('.render-job[data-finished="0"]');
    pending.forEach(refresh);
    if (pending.length) { setTimeout(tick, 3000); }
  }
  setTimeout(tick, 3000);
})();
