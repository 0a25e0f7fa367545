/* incidentbot embedded status: shows the status page's current state as a
   small link where this script is included, or inside the element named by
   its data-target attribute, and refreshes it every minute (data-refresh:
   seconds, or "off"). It writes text only (never HTML) and needs nothing
   else from the page. */
(function () {
  "use strict";
  var script = document.currentScript;
  var doc = {"schema_version":1,"page":{"name":"Acme","updated_at":"2026-03-04T12:00:00Z"},"status":{"indicator":"none","description":"All systems operational"},"incidents_in_progress":[]};
  var base = script && script.src ? script.src.replace(/embed\.js([?#].*)?$/, "") : "";
  var colors = { none: "#1a7f37", minor: "#9a6700", major: "#bc4c00", critical: "#cf222e" };
  var box = document.createElement("a");
  box.className = "incidentbot-status";
  box.style.cssText = "display:inline-flex;align-items:center;gap:.4em;font:14px/1.4 system-ui,sans-serif;color:inherit;text-decoration:none";
  var dot = document.createElement("span");
  dot.setAttribute("aria-hidden", "true");
  dot.style.cssText = "display:inline-block;width:.7em;height:.7em;border-radius:50%";
  var text = document.createElement("span");
  box.appendChild(dot);
  box.appendChild(text);
  function show(d) {
    var s = d.status || {};
    var open = d.incidents_in_progress || [];
    box.href = (d.page && d.page.url) || base;
    box.setAttribute("data-indicator", s.indicator);
    dot.style.background = colors[s.indicator] || colors.none;
    text.textContent = s.description + (open.length ? ": " + open[0].title + (open.length > 1 ? " (+" + (open.length - 1) + " more)" : "") : "");
    box.title = ((d.page && d.page.name) ? d.page.name + " status: " : "Status: ") + s.description;
  }
  show(doc);
  var target = script && script.getAttribute("data-target");
  var host = target && document.getElementById(target);
  if (host) {
    host.appendChild(box);
  } else if (script && script.parentNode) {
    script.parentNode.insertBefore(box, script.nextSibling);
  }
  var every = script ? script.getAttribute("data-refresh") : null;
  if (base && window.fetch && every !== "off") {
    setInterval(function () {
      fetch(base + "api/v1/status", { credentials: "omit", cache: "no-cache" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) { if (d && d.status) { show(d); } })
        .catch(function () {});
    }, Math.max(parseInt(every, 10) || 60, 1) * 1000);
  }
})();
