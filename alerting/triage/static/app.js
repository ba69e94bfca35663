// Canh Gác triage: the little behaviour the pages need. Loaded from this origin only (the
// Content-Security-Policy forbids inline scripts). Everything inserted into the page is
// server-rendered HTML that the server already escaped.
"use strict";

(function () {
  // The queue refreshes its results every N seconds with the same filters (they are in the
  // fragment URL), unless the analyst is in the middle of selecting alerts for a bulk action.
  function startQueueRefresh() {
    var section = document.getElementById("queue-results");
    if (!section) {
      return;
    }
    var url = section.getAttribute("data-refresh-url");
    var seconds = parseInt(section.getAttribute("data-refresh-seconds") || "30", 10);
    function busy() {
      return (
        section.querySelector("input.select-alert:checked, #select-all:checked") !== null ||
        section.contains(document.activeElement)
      );
    }
    function refresh() {
      if (busy() || document.hidden) {
        return;
      }
      // redirect "error": an expired session answers with a redirect to the login form,
      // which must not end up inside the queue; the section greys out instead.
      fetch(url, { credentials: "same-origin", redirect: "error", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("refresh failed: " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          if (!busy()) {
            section.classList.remove("stale");
            section.innerHTML = html;
            section.dispatchEvent(new CustomEvent("queue-refreshed"));
          }
        })
        .catch(function () {
          section.classList.add("stale");
        });
    }
    window.setInterval(refresh, Math.max(5, seconds) * 1000);
    var button = document.getElementById("refresh-now");
    if (button) {
      button.addEventListener("click", refresh);
    }
  }

  // "Select all" ticks every alert checkbox of the current page.
  function wireSelectAll() {
    document.addEventListener("change", function (event) {
      var target = event.target;
      if (target && target.id === "select-all") {
        var boxes = document.querySelectorAll("input.select-alert");
        for (var i = 0; i < boxes.length; i++) {
          boxes[i].checked = target.checked;
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    startQueueRefresh();
    wireSelectAll();
  });
})();
