// ercdash agent console: time zone cookie, copy buttons, keyboard shortcuts, picture fallbacks.
// Loaded as a file (the CSP allows no inline script); htmx is configured by <meta name="htmx-config">.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  // The server shows times in the zone this cookie names (fallback: ERCDASH_AGENT_TIME_ZONE).
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + encodeURIComponent(zone)) === -1) {
      document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) {
    // No Intl time zone support: the server's default applies.
  }

  function announce(text) {
    var region = document.getElementById("announcer");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  // Copy buttons: <button class="copy-button" data-copy="text" data-copied-label="Copied">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".copy-button");
    if (!button) return;
    var text = button.getAttribute("data-copy") || "";
    var done = function () {
      button.classList.add("copied");
      announce(button.getAttribute("data-copied-label") || "Copied");
      window.setTimeout(function () { button.classList.remove("copied"); }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {
        announce(button.title);
      });
    }
  });

  function searchInput() {
    return document.querySelector("[data-search-live]") || document.querySelector("[data-search-input]");
  }

  function resultLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-result]"));
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));

    // "/" focuses the search box from anywhere but a text field.
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      var input = searchInput();
      if (input) {
        event.preventDefault();
        input.focus();
        input.select();
      }
      return;
    }

    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var links = resultLinks();
    if (!links.length) return;
    var live = document.querySelector("[data-search-live]");
    if (target === live) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        links[0].focus();
      }
      return;
    }
    var index = links.indexOf(target);
    if (index === -1) return;
    event.preventDefault();
    if (event.key === "ArrowDown") {
      links[Math.min(index + 1, links.length - 1)].focus();
    } else if (index === 0 && live) {
      live.focus();
    } else {
      links[Math.max(index - 1, 0)].focus();
    }
  });

  // Item pictures and card brand icons live on the shops' hosts; offline, or when a CDN
  // fails, show the neutral icon the page shows for "no picture" instead of a broken image:
  // <img data-fallback-icon="/static/console/icons.svg#package" data-fallback-class="...">.
  var SVG_NS = "http://www.w3.org/2000/svg";

  function showFallback(img) {
    var icon = img.getAttribute("data-fallback-icon");
    if (!icon || !img.parentNode) return;
    var box = document.createElement("span");
    box.className = img.getAttribute("data-fallback-class") || "";
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("class", "icon");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var use = document.createElementNS(SVG_NS, "use");
    use.setAttribute("href", icon);
    svg.appendChild(use);
    box.appendChild(svg);
    img.parentNode.replaceChild(box, img);
  }

  // "error" does not bubble: listen in the capture phase, for pictures swapped in later too.
  document.addEventListener("error", function (event) {
    if (event.target instanceof HTMLImageElement) showFallback(event.target);
  }, true);

  // Pictures that failed before this deferred script ran: decode() rejects for a broken one
  // (a loaded picture without intrinsic size, e.g. some SVGs, still resolves).
  Array.prototype.forEach.call(document.querySelectorAll("img[data-fallback-icon]"), function (img) {
    if (img.complete && img.naturalWidth === 0 && img.decode) {
      img.decode().then(null, function () { showFallback(img); });
    }
  });

  // After "Load more" the button is gone: keep keyboard focus on the first new row.
  document.addEventListener("htmx:afterSettle", function () {
    var next = document.querySelector("[data-focus-after-swap]");
    if (next) {
      next.removeAttribute("data-focus-after-swap");
      next.focus();
    }
  });
})();
