// Keyboard use of the queue: j/k move between rows, Enter opens, t takes, a selects for the bulk "assign".
// Loaded as a file (no inline script: the Content-Security-Policy allows only our own scripts).
(function () {
  "use strict";
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.queue-row")); }
  function current() { var el = document.activeElement; return el && el.classList && el.classList.contains("queue-row") ? el : null; }
  function move(step) {
    var all = rows(); if (!all.length) return;
    var at = all.indexOf(current());
    var next = all[Math.max(0, Math.min(all.length - 1, at < 0 ? 0 : at + step))];
    next.focus(); next.scrollIntoView({block: "nearest"});
  }
  function csrfToken() {
    var input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }
  function take(row) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = "/claims/" + row.dataset.claim + "/transitions";
    [["csrf_token", csrfToken()], ["action", "take"]].forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = pair[0]; input.value = pair[1]; form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea" || event.target.isContentEditable) return;
    var row = current();
    if (event.key === "j") { move(1); event.preventDefault(); }
    else if (event.key === "k") { move(-1); event.preventDefault(); }
    else if (event.key === "Enter" && row) { window.location.href = row.dataset.href; event.preventDefault(); }
    else if (event.key === "t" && row) { take(row); event.preventDefault(); }
    else if (event.key === "a" && row) {
      var box = row.querySelector("input[name=claim_ids]");
      var action = document.getElementById("bulk-action");
      if (!box || !action) return;
      box.checked = true;
      action.value = "assign";
      document.getElementById("bulk-assignee").focus();
      event.preventDefault();
    }
  });
})();
