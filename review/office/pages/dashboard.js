// The dashboard's interaction: one view at a time (from the address's #fragment), and per table
// search, filters, sorting and expandable details. Plain JavaScript; no request leaves the page.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  var ARABIC = "٠١٢٣٤٥٦٧٨٩";
  function digits(n) {
    var text = String(n);
    if (root.getAttribute("data-digits") !== "arabic") return text;
    return text.replace(/[0-9]/g, function (d) { return ARABIC.charAt(+d); });
  }
  function norm(text) {
    return (text || "").toLowerCase().replace(/[\u064B-\u065F\u0640]/g, "")
      .replace(/[أإآ]/g, "ا").replace(/ى/g, "ي").replace(/ة/g, "ه").trim();
  }

  // -- views -------------------------------------------------------------------------------
  var views = Array.prototype.slice.call(document.querySelectorAll(".view"));
  var links = Array.prototype.slice.call(document.querySelectorAll("nav.views a"));
  function show(id, focus) {
    var target = document.getElementById(id);
    if (!target || !target.classList.contains("view")) target = views[0];
    if (!target) return;
    views.forEach(function (v) { v.classList.toggle("active", v === target); });
    links.forEach(function (a) {
      if (a.getAttribute("href") === "#" + target.id) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
    if (focus) {
      var heading = target.querySelector("h2");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    }
  }
  window.addEventListener("hashchange", function () { show(location.hash.slice(1), true); });
  show(location.hash.slice(1), false);
  // The fragment chose the view; the page still opens at its masthead (the browser would scroll
  // to the fragment once loaded).
  window.addEventListener("load", function () { setTimeout(function () { window.scrollTo(0, 0); }, 0); });
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (b) {
    b.addEventListener("click", function () { window.print(); });
  });

  // -- details: an indicator's series chart and status history, drawn when first opened ------
  // from the page's JSON (its geometry computed by review.office.html.chart_geometry, every text
  // already worded in the plan's digits). Texts are set as text, never parsed as markup.
  var SVG = "http://www.w3.org/2000/svg", DATA = null;
  function data() {
    if (DATA === null) {
      var island = document.getElementById("series-data");
      DATA = island ? JSON.parse(island.textContent) : {series: {}};
    }
    return DATA;
  }
  function make(ns, name, attributes, text) {
    var node = ns ? document.createElementNS(ns, name) : document.createElement(name);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function pathOf(points) {  // as review.office.html.path_of
    var path = "", pen = "M";
    points.forEach(function (p) {
      if (p === null) { pen = "M"; return; }
      path += pen + p[0] + " " + p[1];
      pen = "L";
    });
    return path;
  }
  function chart(g, title) {
    var svg = make(SVG, "svg", {"class": "chart", viewBox: "0 0 " + g.w + " " + g.h, role: "img", "aria-label": title});
    var left = g.gx[0], right = g.gx[1];
    g.b.forEach(function (b) {
      svg.appendChild(make(SVG, "rect", {x: left, y: b[0], width: right - left, height: b[1], fill: b[2], "fill-opacity": ".12"}));
    });
    g.t.forEach(function (t) {
      svg.appendChild(make(SVG, "line", {x1: left, x2: right, y1: t[0], y2: t[0], "class": "grid"}));
      svg.appendChild(make(SVG, "text", {x: g.ax, y: t[0] + 4, "class": "tick"}, t[1]));
    });
    data().periods.forEach(function (label, i) {
      svg.appendChild(make(SVG, "text", {x: g.x[i], y: g.ly, "class": "tick"}, label));
    });
    g.l.forEach(function (line) {
      var path = make(SVG, "path", {d: pathOf(line.p), stroke: line.c, "class": "line"});
      if (line.k) path.setAttribute("stroke-dasharray", "5 4");
      svg.appendChild(path);
      line.p.forEach(function (p) {
        if (p !== null && !line.k) svg.appendChild(make(SVG, "circle", {cx: p[0], cy: p[1], r: 3, fill: line.c}));
      });
    });
    return svg;
  }
  function draw(box, name) {
    var d = data(), series = box && d.series[box.getAttribute("data-series")];
    if (!series || box.hasAttribute("data-drawn")) return;
    box.setAttribute("data-drawn", "");
    var text = d.text, figure = make(null, "figure");
    figure.appendChild(make(null, "figcaption", {}, text.series));
    var geometry = {};
    [d.frame, series.g].forEach(function (part) {
      Object.keys(part).forEach(function (key) { geometry[key] = part[key]; });
    });
    figure.appendChild(chart(geometry, name + " — " + text.series));
    var legend = make(null, "p", {"class": "legend"});
    legend.appendChild(make(null, "span", {"class": "key kt"}));
    legend.appendChild(document.createTextNode(text.target_label + " "));
    legend.appendChild(make(null, "span", {"class": "key ka"}));
    legend.appendChild(document.createTextNode(text.actual_label));
    figure.appendChild(legend);
    var table = make(null, "table", {"class": "mini history"});
    table.appendChild(make(null, "caption", {}, text.history));
    var head = table.appendChild(make(null, "thead")).appendChild(make(null, "tr"));
    ["period", "target", "actual", "achievement", "status"].forEach(function (key) {
      head.appendChild(make(null, "th", {scope: "col"}, text[key]));
    });
    var body = table.appendChild(make(null, "tbody"));
    series.h.forEach(function (h, i) {
      var row = body.appendChild(make(null, "tr"));
      row.appendChild(make(null, "th", {scope: "row"}, d.periods[i]));
      for (var k = 0; k < 3; k += 1) row.appendChild(make(null, "td", {"class": "n"}, h[k]));
      row.appendChild(make(null, "td")).appendChild(make(null, "span", {"class": "st st-" + h[3]}, d.status[h[3]]));
    });
    box.insertBefore(table, box.firstChild);
    box.insertBefore(figure, table);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.more") : null;
    if (!button) return;
    var detail = document.getElementById(button.getAttribute("aria-controls"));
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (detail) {
      if (open) draw(detail.querySelector("[data-series]"), button.textContent.trim());
      detail.hidden = !open;
    }
  });

  // -- rows: each data row with the detail row that follows it ------------------------------
  function groups(table) {
    var found = [];
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      if (row.classList.contains("detail")) { if (found.length) found[found.length - 1].push(row); }
      else found.push([row]);
    });
    return found;
  }

  // -- filters -----------------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll(".controls"), function (controls) {
    var table = document.getElementById(controls.getAttribute("data-table"));
    if (!table) return;
    var inputs = controls.querySelectorAll("[data-filter]");
    var output = controls.querySelector("output.shown");
    var none = table.nextElementSibling && table.nextElementSibling.classList.contains("none") ? table.nextElementSibling : null;
    function apply() {
      var wanted = {};
      Array.prototype.forEach.call(inputs, function (input) {
        wanted[input.getAttribute("data-filter")] = input.type === "checkbox" ? input.checked : input.value;
      });
      var query = norm(wanted.q);
      var all = groups(table), shown = 0;
      all.forEach(function (group) {
        var row = group[0];
        var name = norm(row.getAttribute("data-name") || (row.querySelector("th") || row).textContent) + " " + norm(row.getAttribute("data-id"));
        var ok = (!query || name.indexOf(query) !== -1)
          && (!wanted.status || row.getAttribute("data-status") === wanted.status)
          && (!wanted.entity || row.getAttribute("data-entity") === wanted.entity)
          && (!wanted.overdue || row.hasAttribute("data-overdue"));
        row.hidden = !ok;
        if (group[1]) {
          var button = row.querySelector("button.more");
          group[1].hidden = !ok || !button || button.getAttribute("aria-expanded") !== "true";
        }
        if (ok) shown += 1;
      });
      if (output) {
        output.textContent = output.getAttribute("data-template")
          .replace("{shown}", digits(shown)).replace("{total}", digits(all.length));
      }
      if (none) none.hidden = shown !== 0;
    }
    Array.prototype.forEach.call(inputs, function (input) {
      input.addEventListener(input.tagName === "SELECT" || input.type === "checkbox" ? "change" : "input", apply);
    });
    apply();
  });

  // -- sorting -----------------------------------------------------------------------------
  var collator = new Intl.Collator(root.lang || "ar", {numeric: true, sensitivity: "base"});
  Array.prototype.forEach.call(document.querySelectorAll("button.sort"), function (button) {
    button.addEventListener("click", function () {
      var th = button.closest("th"), table = th.closest("table");
      var column = Array.prototype.indexOf.call(th.parentNode.children, th);
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(th.parentNode.children, function (other) {
        if (other.hasAttribute("aria-sort")) other.setAttribute("aria-sort", "none");
      });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var numeric = button.getAttribute("data-type") === "num";
      var keyed = groups(table).map(function (group, index) {
        var cell = group[0].children[column];
        var key = numeric ? (cell && cell.hasAttribute("data-v") ? parseFloat(cell.getAttribute("data-v")) : null)
                          : (cell ? cell.textContent.trim() : "");
        return {group: group, key: key, index: index};
      });
      keyed.sort(function (a, b) {
        if (numeric) {
          if (a.key === null || b.key === null) {
            if (a.key === b.key) return a.index - b.index;
            return a.key === null ? 1 : -1;  // no value: last either way
          }
          if (a.key !== b.key) return ascending ? a.key - b.key : b.key - a.key;
          return a.index - b.index;
        }
        var order = collator.compare(a.key, b.key);
        return (ascending ? order : -order) || a.index - b.index;
      });
      var body = table.tBodies[0];
      keyed.forEach(function (item) { item.group.forEach(function (row) { body.appendChild(row); }); });
    });
  });
})();
