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

  // Dark mode: the system's choice (prefers-color-scheme, in app.css) unless the analyst
  // picked one with the toggle; the pick is kept in localStorage and set on <html> as
  // data-theme before the page is drawn where possible.
  var THEME_KEY = "canhgac-theme";
  function storedTheme() {
    try {
      var value = window.localStorage.getItem(THEME_KEY);
      return value === "dark" || value === "light" ? value : null;
    } catch (e) {
      return null;
    }
  }
  function applyTheme(theme) {
    if (theme) {
      document.documentElement.setAttribute("data-theme", theme);
    } else {
      document.documentElement.removeAttribute("data-theme");
    }
  }
  function currentTheme() {
    var chosen = document.documentElement.getAttribute("data-theme");
    if (chosen) {
      return chosen;
    }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches
      ? "dark"
      : "light";
  }
  applyTheme(storedTheme());
  function wireThemeToggle() {
    var button = document.getElementById("theme-toggle");
    if (!button) {
      return;
    }
    button.addEventListener("click", function () {
      var next = currentTheme() === "dark" ? "light" : "dark";
      applyTheme(next);
      try {
        window.localStorage.setItem(THEME_KEY, next);
      } catch (e) {
        /* private mode: the choice lasts for this page only */
      }
    });
  }

  // Keyboard shortcuts of the queue and the alert page: j/k move, Enter opens, a
  // acknowledges, c closes, / searches, ? shows the help. Keys typed into a field are left
  // alone.
  function typing(target) {
    if (!target || !target.tagName) {
      return false;
    }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr.alert-row"));
  }
  function selectedRow() {
    return document.querySelector("tr.alert-row.selected");
  }
  function select(row) {
    var old = selectedRow();
    if (old) {
      old.classList.remove("selected");
      old.removeAttribute("aria-selected");
    }
    if (row) {
      row.classList.add("selected");
      row.setAttribute("aria-selected", "true");
      row.scrollIntoView({ block: "nearest" });
    }
  }
  function move(step) {
    var all = rows();
    if (!all.length) {
      return;
    }
    var index = all.indexOf(selectedRow());
    var next = index < 0 ? 0 : Math.min(all.length - 1, Math.max(0, index + step));
    select(all[next]);
  }
  function bulkOnSelected(action) {
    var row = selectedRow();
    var form = document.getElementById("bulk-form");
    var choice = document.getElementById("bulk-action");
    if (!row || !form || !choice) {
      return false;
    }
    var boxes = document.querySelectorAll("input.select-alert");
    for (var i = 0; i < boxes.length; i++) {
      boxes[i].checked = boxes[i].value === row.getAttribute("data-alert-id");
    }
    choice.value = action;
    form.submit();
    return true;
  }
  function openSelected(hash) {
    var row = selectedRow();
    var link = row && row.querySelector("a.alert-link");
    if (link) {
      window.location.assign(link.getAttribute("href") + (hash || ""));
    }
  }
  function toggleHelp() {
    var help = document.getElementById("keys-help");
    if (!help || typeof help.showModal !== "function") {
      return;
    }
    if (help.open) {
      help.close();
    } else {
      help.showModal();
    }
  }
  var KEYS = {
    j: function () { move(1); },
    k: function () { move(-1); },
    Enter: function () { openSelected(""); },
    a: function () {
      var button = document.getElementById("acknowledge");
      if (button && !rows().length) {
        button.click();
      } else {
        bulkOnSelected("acknowledge");
      }
    },
    c: function () {
      var reason = document.getElementById("close-reason");
      if (reason && !rows().length) {
        reason.scrollIntoView({ block: "center" });
        reason.focus();
      } else {
        openSelected("#close-reason");
      }
    },
    "/": function () {
      var search = document.getElementById("f-q");
      if (search) {
        search.focus();
        search.select();
      }
    },
    "?": toggleHelp,
  };
  function wireKeys() {
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
        return;
      }
      var help = document.getElementById("keys-help");
      if (help && help.open && event.key !== "?") {
        return;
      }
      var action = Object.prototype.hasOwnProperty.call(KEYS, event.key) ? KEYS[event.key] : null;
      if (!action || (event.key === "Enter" && !selectedRow())) {
        return;
      }
      event.preventDefault();
      action();
    });
    // The refreshed results lose the selection: keep it on the same alert.
    document.addEventListener("queue-refreshed", function () {
      var id = window.sessionStorage ? sessionStorage.getItem("canhgac-selected") : null;
      if (id) {
        select(document.querySelector('tr.alert-row[data-alert-id="' + CSS.escape(id) + '"]'));
      }
    }, true);
    document.addEventListener("click", function (event) {
      var row = event.target && event.target.closest ? event.target.closest("tr.alert-row") : null;
      if (row) {
        select(row);
      }
    });
  }
  function rememberSelection() {
    var observer = new MutationObserver(function () {
      var row = selectedRow();
      if (row && window.sessionStorage) {
        sessionStorage.setItem("canhgac-selected", row.getAttribute("data-alert-id"));
      }
    });
    var section = document.getElementById("queue-results");
    if (section) {
      observer.observe(section, { subtree: true, attributes: true, attributeFilter: ["class"] });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    startQueueRefresh();
    wireSelectAll();
    wireThemeToggle();
    wireKeys();
    rememberSelection();
  });
})();
