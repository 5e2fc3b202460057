/* ganlogs report: the sweep overview (counts, overlay chart, runs table) and, on demand, one
   run's charts and findings. Data come from JSON script elements:
   #ganlogs-overview at once, #run-<i> only when run i is opened. Strings from logs are only
   ever set with textContent, never parsed as HTML. Charts: uPlot. */
(function () {
  "use strict";
  var OV = JSON.parse(document.getElementById("ganlogs-overview").textContent);
  var COLORS = OV.label_colors;
  var state = {label: "", search: "", group: "", sort: null, asc: true, metric: null};
  var overlayChart = null, overlayTimer = null;
  var api = {charts: {}, overlay: null, openRun: null};
  window.ganlogsReport = api;

  // ---------------------------------------------------------------- helpers
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { for (var k in attrs) { if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k]); } }
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(v) {
    if (v === null || v === undefined) return "–";
    if (!isFinite(v)) return isNaN(v) ? "NaN" : (v > 0 ? "Inf" : "-Inf");
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
    return String(parseFloat(v.toPrecision(5)));
  }
  function fmtStep(v) { return v === null || v === undefined ? "–" : String(Math.round(v)); }
  function hexA(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16 & 255) + "," + (n >> 8 & 255) + "," + (n & 255) + "," + a + ")";
  }
  function chip(label, conf, pair) {
    var c = el("span", {"class": "chip"}, label + (pair ? " [" + pair + "]" : "") +
                                           (conf === null || conf === undefined ? "" : " " + conf.toFixed(2)));
    c.style.background = COLORS[label] || "#6b7280";
    return c;
  }
  function chips(run) {
    var box = document.createDocumentFragment();
    if (!run.ok && run.ok !== undefined || run.status === "error") { var u = chip("unreadable"); u.style.background = "#dc2626"; box.appendChild(u); return box; }
    if (run.labels.length) { run.labels.forEach(function (l) { box.appendChild(chip(l[0], l[1], l[2])); }); }
    else if (run.short) { box.appendChild(chip("insufficient_data")); }
    else { box.appendChild(el("span", {"class": "chip quiet"}, "no label")); }
    return box;
  }
  function decodeValues(s) {
    var bin = atob(s), n = bin.length, u8 = new Uint8Array(n);
    for (var i = 0; i < n; i++) u8[i] = bin.charCodeAt(i);
    return new Float32Array(u8.buffer);
  }
  function decodeSteps(d, unit) {
    var out = new Array(d.length), acc = d.length ? d[0] : 0;
    unit = unit || 1;
    for (var i = 0; i < d.length; i++) { if (i) acc += d[i] * unit; out[i] = acc; }
    return out;
  }
  function runLabelKey(r) {
    if (!r.ok) return "unreadable";
    if (r.labels.length) return r.labels[0][0];
    return r.short ? "insufficient_data" : "no label";
  }

  // ---------------------------------------------------------------- overview
  var ov = document.getElementById("overview");
  function visibleRuns() {
    var q = state.search.toLowerCase();
    return OV.runs.filter(function (r) {
      if (q && r.name.toLowerCase().indexOf(q) < 0) return false;
      if (!state.label) return true;
      if (state.label === "no label") return r.ok && !r.labels.length && !r.short;
      if (state.label === "unreadable") return !r.ok;
      if (state.label === "insufficient_data") return r.short;
      return r.labels.some(function (l) { return l[0] === state.label; });
    });
  }

  function buildOverview() {
    ov.appendChild(el("h2", null, "Sweep overview"));
    var n = OV.runs.length, bad = OV.runs.filter(function (r) { return !r.ok; }).length;
    var short = OV.runs.filter(function (r) { return r.short; }).length;
    var none = OV.runs.filter(function (r) { return r.ok && !r.labels.length && !r.short; }).length;
    var counts = el("div", {"class": "counts", id: "counts"});
    var items = [["", "all runs", n, "#111827"]];
    Object.keys(OV.counts).forEach(function (k) { items.push([k, k, OV.counts[k], COLORS[k] || "#6b7280"]); });
    items.push(["no label", "no label", none, "#d1d5db"]);
    items.push(["insufficient_data", "too short to judge", short, COLORS.insufficient_data]);
    items.push(["unreadable", "unreadable", bad, "#dc2626"]);
    items.forEach(function (it) {
      var b = el("button", {type: "button", "data-label": it[0], "aria-pressed": it[0] === "" ? "true" : "false"});
      var dot = el("span", {"class": "dot"}); dot.style.background = it[3];
      b.appendChild(dot); b.appendChild(document.createTextNode(it[1] + " " + it[2]));
      b.addEventListener("click", function () { setLabel(it[0]); });
      counts.appendChild(b);
    });
    ov.appendChild(counts);

    var ctl = el("div", {"class": "controls"});
    var search = el("input", {type: "search", id: "search", placeholder: "search runs by name", "aria-label": "search runs by name"});
    search.addEventListener("input", function () { state.search = search.value; refresh(); });
    ctl.appendChild(search);
    var labSel = el("select", {id: "label-filter", "aria-label": "filter by label"});
    items.forEach(function (it) { labSel.appendChild(el("option", {value: it[0]}, it[0] === "" ? "every label" : it[1])); });
    labSel.addEventListener("change", function () { setLabel(labSel.value); });
    var l1 = el("label", null, "label "); l1.appendChild(labSel); ctl.appendChild(l1);
    var keys = {};
    OV.runs.forEach(function (r) { for (var k in r.hp) keys[k] = 1; });
    var groupSel = el("select", {id: "group-by", "aria-label": "group by a hyperparameter"});
    groupSel.appendChild(el("option", {value: ""}, "(none)"));
    Object.keys(keys).sort().forEach(function (k) { groupSel.appendChild(el("option", {value: k}, k)); });
    groupSel.addEventListener("change", function () { state.group = groupSel.value; renderTable(); });
    var l2 = el("label", null, "group by "); l2.appendChild(groupSel);
    if (Object.keys(keys).length) ctl.appendChild(l2);
    var metrics = Object.keys(OV.overlay);
    if (metrics.length) {
      state.metric = metrics.indexOf("g_loss") >= 0 ? "g_loss" : metrics[0];
      var mSel = el("select", {id: "overlay-metric", "aria-label": "overlay metric"});
      metrics.forEach(function (m) { mSel.appendChild(el("option", {value: m}, m)); });
      mSel.value = state.metric;
      mSel.addEventListener("change", function () { state.metric = mSel.value; drawOverlay(); });
      var l3 = el("label", null, "overlay "); l3.appendChild(mSel); ctl.appendChild(l3);
      var olog = el("input", {type: "checkbox", id: "overlay-log"});
      olog.addEventListener("change", drawOverlay);
      var l4 = el("label", null); l4.appendChild(olog); l4.appendChild(document.createTextNode(" log scale")); ctl.appendChild(l4);
      ctl.appendChild(el("span", {"class": "hint", id: "overlay-range"}));
    }
    ov.appendChild(ctl);
    if (metrics.length) {
      ov.appendChild(el("div", {id: "overlay"}));
      ov.appendChild(el("div", {"class": "overlay-caption", id: "overlay-caption"},
        "Every shown run's curve, coloured by its first label (mean per step bin). Hover to name a run, click to open it."));
    }
    var wrap = el("div", {"class": "tablewrap"});
    var table = el("table", {id: "runs"});
    table.appendChild(el("thead")); table.appendChild(el("tbody"));
    wrap.appendChild(table);
    ov.appendChild(el("h3", {id: "runs-title"}, "Runs"));
    ov.appendChild(wrap);
  }

  function setLabel(lab) {
    state.label = lab;
    document.getElementById("label-filter").value = lab;
    Array.prototype.forEach.call(document.querySelectorAll("#counts button"), function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-label") === lab ? "true" : "false");
    });
    refresh();
  }
  function refresh() {
    renderTable();
    clearTimeout(overlayTimer);
    overlayTimer = setTimeout(drawOverlay, 120);
  }

  var COLUMNS = [
    {key: "name", title: "run", cls: "run"},
    {key: "format", title: "format"},
    {key: "points", title: "points", num: true},
    {key: "labels", title: "labels"},
    {key: "confidence", title: "confidence", num: true},
    {key: "onset", title: "onset step", num: true}
  ];
  OV.hparams.forEach(function (h) { COLUMNS.push({key: "hp:" + h, title: h, hp: h}); });
  COLUMNS.push({key: "reason", title: "reason", cls: "reason"});

  function cellValue(r, c) {
    if (c.hp) return r.hp[c.hp];
    if (c.key === "labels") return r.labels.length ? r.labels.map(function (l) { return l[0]; }).join(",") : (r.short ? "~insufficient" : "~");
    return r[c.key];
  }
  function compare(a, b) {
    if (a === b) return 0;
    if (a === null || a === undefined) return 1;
    if (b === null || b === undefined) return -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).toLowerCase() < String(b).toLowerCase() ? -1 : 1;
  }

  function buildHead() {
    var table = document.getElementById("runs");
    var head = el("tr");
    COLUMNS.forEach(function (c) {
      var th = el("th", {"class": c.num ? "num" : null, tabindex: "0", "data-col": c.key}, c.title);
      function go() { if (state.sort === c.key) state.asc = !state.asc; else { state.sort = c.key; state.asc = true; } renderTable(); }
      th.addEventListener("click", go);
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); go(); } });
      head.appendChild(th);
    });
    table.tHead.appendChild(head);
  }

  function renderTable() {
    var table = document.getElementById("runs");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      if (th.getAttribute("data-col") === state.sort) th.setAttribute("aria-sort", state.asc ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
    var rows = visibleRuns();
    var col = COLUMNS.filter(function (c) { return c.key === state.sort; })[0];
    if (col) {
      rows = rows.slice().sort(function (a, b) {
        var x = cellValue(a, col), y = cellValue(b, col);
        if (x === null || x === undefined) return (y === null || y === undefined) ? 0 : 1;
        if (y === null || y === undefined) return -1;
        return compare(x, y) * (state.asc ? 1 : -1);
      });
    }
    var body = document.createElement("tbody");
    var groups = null;
    if (state.group) {
      groups = {};
      rows.forEach(function (r) { var k = r.hp[state.group]; k = k === undefined ? "(not logged)" : String(k); (groups[k] = groups[k] || []).push(r); });
    }
    function addRow(r) {
      var tr = el("tr", {"class": r.ok ? "ok" : "error", "data-run": String(r.i)});
      COLUMNS.forEach(function (c) {
        var td = el("td", {"class": c.num ? "num" : (c.hp ? "hp" : (c.cls || null))});
        if (c.key === "name") {
          var a = el("a", {href: "#run-" + r.i}, r.name);
          td.appendChild(a);
        } else if (c.key === "labels") {
          td.appendChild(chips(r));
        } else if (c.key === "confidence") {
          td.textContent = r.confidence === null ? "-" : r.confidence.toFixed(2);
        } else if (c.key === "reason") {
          td.appendChild(el("div", {title: r.reason}, r.reason));
        } else {
          var v = cellValue(r, c);
          td.textContent = v === null || v === undefined ? "-" : String(v);
          if (c.hp) td.title = td.textContent;
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    }
    if (groups) {
      Object.keys(groups).sort(function (a, b) {
        var x = parseFloat(a), y = parseFloat(b);
        return (!isNaN(x) && !isNaN(y)) ? x - y : compare(a, b);
      }).forEach(function (k) {
        var g = groups[k], tally = {};
        g.forEach(function (r) { var key = runLabelKey(r); tally[key] = (tally[key] || 0) + 1; });
        var tr = el("tr", {"class": "group"});
        tr.appendChild(el("td", {colspan: String(COLUMNS.length)},
          state.group + " = " + k + " · " + g.length + " run(s): " +
          Object.keys(tally).map(function (t) { return t + " " + tally[t]; }).join(", ")));
        body.appendChild(tr);
        g.forEach(addRow);
      });
    } else {
      rows.forEach(addRow);
    }
    table.replaceChild(body, table.tBodies[0]);
    document.getElementById("runs-title").textContent =
      "Runs (" + rows.length + (rows.length < OV.runs.length ? " of " + OV.runs.length : "") + ")";
  }

  function drawOverlay() {
    var box = document.getElementById("overlay");
    if (!box || !state.metric) return;
    if (overlayChart) { overlayChart.destroy(); overlayChart = null; api.overlay = null; }
    var m = OV.overlay[state.metric];
    var shown = visibleRuns().filter(function (r) { return m.runs[String(r.i)] !== undefined; });
    var data = [m.x], series = [{label: "step"}];
    shown.forEach(function (r) {
      var v = decodeValues(m.runs[String(r.i)]), arr = new Array(v.length);
      for (var j = 0; j < v.length; j++) arr[j] = isFinite(v[j]) ? v[j] : null;
      data.push(arr);
      var key = runLabelKey(r);
      var c = COLORS[key] || (key === "unreadable" ? "#dc2626" : "#9ca3af");
      series.push({label: r.name, stroke: hexA(c, shown.length > 200 ? 0.35 : 0.7), width: 1.2, spanGaps: true, points: {show: false}, _run: r.i});
    });
    var caption = document.getElementById("overlay-caption");
    if (!shown.length) { box.textContent = "No run to show: change the filter or the search."; return; }
    box.textContent = "";
    var width = Math.max(box.clientWidth || ov.clientWidth - 40, 300);
    var log = document.getElementById("overlay-log").checked;
    // the y range holds each run's bulk (3 IQR beyond its quartiles, within its own
    // extremes), so that runs that blow up do not flatten the others
    var yr = null, beyond = 0, lo = Infinity, hi = -Infinity;
    var tf = function (v) { return log ? Math.log10(v) : v; };
    for (var a = 1; a < data.length; a++) {
      var vals = data[a].filter(function (v) { return v !== null && (!log || v > 0); }).map(tf).sort(function (p, q) { return p - q; });
      if (!vals.length) continue;
      var q1 = vals[Math.floor(0.25 * (vals.length - 1))], q3 = vals[Math.ceil(0.75 * (vals.length - 1))];
      var iqr = q3 - q1 || Math.abs(q3) * 0.1 || 1;
      lo = Math.min(lo, Math.max(vals[0], q1 - 3 * iqr));
      hi = Math.max(hi, Math.min(vals[vals.length - 1], q3 + 3 * iqr));
      beyond += vals.filter(function (v) { return v < q1 - 3 * iqr || v > q3 + 3 * iqr; }).length;
    }
    if (isFinite(lo) && isFinite(hi)) {
      var pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
      yr = log ? [Math.pow(10, lo - pad), Math.pow(10, hi + pad)] : [lo - pad, hi + pad];
    }
    var rangeNote = document.getElementById("overlay-range");
    rangeNote.textContent = beyond ? beyond + " binned value(s) far outside their run's bulk are off the axis (try the log scale)" : "";
    if (log) { for (var c1 = 1; c1 < data.length; c1++) data[c1] = data[c1].map(function (v) { return v !== null && v > 0 ? v : null; }); }
    overlayChart = new uPlot({
      width: width, height: 260, series: series, legend: {show: false},
      scales: {x: {time: false}, y: log ? {distr: 3, auto: !yr, range: yr ? function () { return yr; } : undefined}
                                         : {auto: !yr, range: yr ? function () { return yr; } : undefined}},
      axes: [{label: "step"}, {label: state.metric, size: 80, values: function (u, vals) { return vals.map(fmt); }}],
      focus: {alpha: 0.12},
      cursor: {focus: {prox: 24}, drag: {x: true, y: false}},
      hooks: {setSeries: [function (u, si) {
        if (si === null || si === undefined || !u.series[si]) return;
        var r = OV.runs[u.series[si]._run];
        caption.textContent = "";
        caption.appendChild(el("b", null, r.name));
        caption.appendChild(document.createTextNode(" · " + (r.labels.map(function (l) { return l[0] + " " + l[1].toFixed(2); }).join(", ") || runLabelKey(r)) + " (click to open)"));
        api.overlayFocus = u.series[si]._run;
      }]}
    }, data, box);
    overlayChart.over.addEventListener("click", function () {
      if (api.overlayFocus !== undefined && api.overlayFocus !== null) location.hash = "run-" + api.overlayFocus;
    });
    api.overlay = overlayChart;
  }

  // ---------------------------------------------------------------- one run
  var detail = document.getElementById("detail");
  var smoothing = 0.6;
  var ignoreOutliers = false;

  /** TensorBoard's smoothing: an exponential moving average debiased at the start
      (divided by 1 - w^n); non-finite values are passed through and not accumulated. */
  function ema(y, w) {
    var out = new Array(y.length), last = 0, n = 0;
    var constant = true;
    for (var k = 1; k < y.length; k++) { if (y[k] !== y[0]) { constant = false; break; } }
    for (var i = 0; i < y.length; i++) {
      var v = y[i];
      if (v === null || !isFinite(v) || constant || w <= 0) { out[i] = v; continue; }
      last = last * w + (1 - w) * v; n++;
      out[i] = last / (1 - Math.pow(w, n));
    }
    return out;
  }

  function panelData(p, log) {
    var tables = [], bad = [];
    p.series.forEach(function (s) {
      var x = decodeSteps(s.x, s.xunit), v = decodeValues(s.y), raw = new Array(v.length);
      for (var i = 0; i < v.length; i++) {
        var y = v[i];
        if (!isFinite(y)) { raw[i] = null; bad.push([x[i], s.color]); }
        else raw[i] = (log && y <= 0) ? null : y;
      }
      s._x = x; s._raw = raw;
      tables.push([x, raw, ema(raw, smoothing)]);
    });
    var data = tables.length === 1 ? tables[0] : uPlot.join(tables);
    return {data: data, bad: bad};
  }

  function makeChart(box, p, run, log) {
    var pd = panelData(p, log);
    var series = [{label: "step", value: function (u, v) { return fmtStep(v); }}];
    p.series.forEach(function (s) {
      series.push({label: s.name, stroke: hexA(s.color, 0.28), width: 1, spanGaps: true,
                   points: {show: false}, value: function (u, v) { return fmt(v); }});
      series.push({label: s.name + " (smoothed)", stroke: s.color, width: 2, spanGaps: true,
                   points: {show: false}, value: function (u, v) { return fmt(v); }});
    });
    var width = Math.max(box.clientWidth || 900, 300);
    var panStart = null;
    var opts = {
      width: width, height: p.folded ? 200 : 240, series: series,
      scales: {x: {time: false}, y: log ? {distr: 3} : {}},
      axes: [{}, {size: 64, values: function (u, vals) { return vals.map(fmt); }}],
      legend: {live: true},
      cursor: {sync: {key: "run-" + run.i}, drag: {x: true, y: false},
        bind: {mousedown: function (u, targ, handler) {
          return function (e) {
            if (e.shiftKey) {
              panStart = {x: e.clientX, min: u.scales.x.min, max: u.scales.x.max};
              var move = function (ev) {
                var dx = (ev.clientX - panStart.x) / u.bbox.width * devicePixelRatio * (panStart.max - panStart.min);
                u.setScale("x", {min: panStart.min - dx, max: panStart.max - dx});
              };
              var up = function () { document.removeEventListener("mousemove", move); document.removeEventListener("mouseup", up); };
              document.addEventListener("mousemove", move); document.addEventListener("mouseup", up);
              return null;
            }
            return handler(e);
          };
        }}},
      hooks: {
        drawClear: [function (u) {
          var ctx = u.ctx, b = u.bbox;
          run.spans.forEach(function (sp) {
            var a = u.valToPos(sp.start, "x", true), z = u.valToPos(sp.end, "x", true);
            a = Math.max(a, b.left); z = Math.min(z, b.left + b.width);
            if (z < a) return;
            ctx.fillStyle = hexA(sp.color, 0.12);
            ctx.fillRect(a, b.top, Math.max(z - a, 2), b.height);
          });
        }],
        draw: [function (u) {
          var ctx = u.ctx, b = u.bbox;
          ctx.save();
          ctx.beginPath(); ctx.rect(b.left, b.top, b.width, b.height); ctx.clip();
          p.hlines.forEach(function (h) {
            if (log && h.y <= 0) return;
            var y = u.valToPos(h.y, "y", true);
            ctx.strokeStyle = h.color; ctx.lineWidth = 1.5 * devicePixelRatio;
            ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
            ctx.beginPath(); ctx.moveTo(b.left, y); ctx.lineTo(b.left + b.width, y); ctx.stroke();
          });
          ctx.setLineDash([]);
          run.spans.forEach(function (sp) {
            if (sp.onset === null || sp.onset === undefined) return;
            var x = u.valToPos(sp.onset, "x", true);
            ctx.strokeStyle = sp.color; ctx.lineWidth = 1.2 * devicePixelRatio;
            ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
            ctx.beginPath(); ctx.moveTo(x, b.top); ctx.lineTo(x, b.top + b.height); ctx.stroke();
          });
          ctx.setLineDash([]);
          pd.bad.forEach(function (m) {  // NaN/Inf: a triangle along the top
            var x = u.valToPos(m[0], "x", true), s = 5 * devicePixelRatio;
            ctx.fillStyle = m[1];
            ctx.beginPath(); ctx.moveTo(x - s, b.top); ctx.lineTo(x + s, b.top); ctx.lineTo(x, b.top + s * 1.4); ctx.fill();
          });
          ctx.restore();
        }]
      }
    };
    // the y range: what is shown (or its 1st-99th percentile when outliers are ignored),
    // widened to the equilibrium lines near it (within two data spans)
    opts.scales.y.range = function (u, lo, hi) {
      var a = lo, z = hi;
      if (ignoreOutliers && u.data && u.data.length > 1) {
        var xs = u.data[0], x0 = u.scales.x.min, x1 = u.scales.x.max, vals = [];
        for (var si = 1; si < u.data.length; si += 2) {
          var ys = u.data[si];
          for (var i = 0; i < ys.length; i++) {
            var v = ys[i];
            if (v !== null && v !== undefined && (x0 === undefined || x0 === null || (xs[i] >= x0 && xs[i] <= x1))) vals.push(v);
          }
        }
        if (vals.length > 20) {  // the bulk: 3 IQR beyond the quartiles (in log10 on a log axis)
          var tf = log ? function (v) { return Math.log10(v); } : function (v) { return v; };
          vals = vals.filter(function (v) { return !log || v > 0; }).map(tf).sort(function (p, q) { return p - q; });
          var q1 = vals[Math.floor(0.25 * (vals.length - 1))], q3 = vals[Math.ceil(0.75 * (vals.length - 1))];
          var iqr = q3 - q1 || Math.abs(q3) * 0.1 || 1;
          a = Math.max(vals[0], q1 - 3 * iqr); z = Math.min(vals[vals.length - 1], q3 + 3 * iqr);
          if (log) { a = Math.pow(10, a); z = Math.pow(10, z); }
        }
      }
      if (!log) {
        // (within two data spans, as in the SVG plots; a line farther off is named above)
        var span = (z - a) || Math.abs(z) || 1, a0 = a, z0 = z;
        p.hlines.forEach(function (h) { if (h.y >= a0 - 2 * span && h.y <= z0 + 2 * span) { a = Math.min(a, h.y); z = Math.max(z, h.y); } });
        return uPlot.rangeNum(a, z, 0.1, true);
      }
      return uPlot.rangeLog(a, z, 10, true);
    };
    var u = new uPlot(opts, pd.data, box);
    u.over.addEventListener("wheel", function (e) {
      e.preventDefault();
      var xmin = u.scales.x.min, xmax = u.scales.x.max;
      var at = u.posToVal(e.offsetX, "x"), f = e.deltaY < 0 ? 0.8 : 1.25;
      u.setScale("x", {min: at - (at - xmin) * f, max: at + (xmax - at) * f});
    }, {passive: false});
    u.over.addEventListener("dblclick", function () { u.setData(u.data, true); });
    u._panel = p; u._log = log;
    return u;
  }

  function panelBox(p, run, parent) {
    var wrap, body;
    var n = p.series.length;
    if (p.folded) {
      wrap = el("details", {"class": "panel", "data-panel": p.id});
      wrap.appendChild(el("summary", null, p.title + " (" + n + " series: " +
        p.series.slice(0, 4).map(function (s) { return s.tag; }).join(", ") + (n > 4 ? ", ..." : "") + ")"));
    } else {
      wrap = el("div", {"class": "panel", "data-panel": p.id});
    }
    var head = el("div", {"class": "ph"});
    if (!p.folded) head.appendChild(el("b", null, p.title));
    var logBox = el("input", {type: "checkbox", "class": "logscale"});
    logBox.checked = !!p.log;
    var positive = p.series.every(function (s) { var v = decodeValues(s.y); for (var i = 0; i < v.length; i++) { if (isFinite(v[i]) && v[i] <= 0) return false; } return true; });
    var lab = el("label", null); lab.appendChild(logBox); lab.appendChild(document.createTextNode(" log scale" + (positive ? "" : " (values ≤ 0 hidden)")));
    head.appendChild(lab);
    var notes = [];
    p.series.forEach(function (s) {
      if (s.nonfinite) notes.push(s.tag + ": " + s.nonfinite + " NaN/Inf from step " + s.first_nonfinite + " (▼)");
      if (s.drawn < s.points) notes.push(s.tag + ": " + s.drawn + " of " + s.points + " points drawn (LTTB)");
    });
    notes.forEach(function (t) { head.appendChild(el("span", {"class": t.indexOf("NaN") >= 0 ? "note" : "hint"}, t)); });
    wrap.appendChild(head);
    if (p.hlines.length) {
      var eqs = el("div", {"class": "eqs"});
      p.hlines.forEach(function (h) { var s = el("span", null, h.text); s.style.color = h.color; eqs.appendChild(s); });
      wrap.appendChild(eqs);
    }
    body = el("div", {"class": "chart"});
    wrap.appendChild(body);
    parent.appendChild(wrap);
    function build() {
      if (api.charts[p.id]) { api.charts[p.id].destroy(); }
      body.textContent = "";
      api.charts[p.id] = makeChart(body, p, run, logBox.checked);
    }
    logBox.addEventListener("change", function () {
      var old = api.charts[p.id], xs = old ? [old.scales.x.min, old.scales.x.max] : null;
      build();
      if (xs) api.charts[p.id].setScale("x", {min: xs[0], max: xs[1]});
    });
    if (p.folded) wrap.addEventListener("toggle", function () { if (wrap.open && !api.charts[p.id]) build(); });
    else build();
  }

  function kvGrid(obj) {
    var keys = Object.keys(obj || {});
    if (!keys.length) return null;
    var g = el("div", {"class": "kv"});
    keys.forEach(function (k) { var d = el("div"); d.appendChild(el("span", {"class": "k"}, k)); d.appendChild(document.createTextNode(" " + obj[k])); g.appendChild(d); });
    return g;
  }
  function folded(title, node) {
    var d = el("details"); d.appendChild(el("summary", null, title)); d.appendChild(node); return d;
  }

  function findingBox(f) {
    var box = el("div", {"class": "finding" + (f.labelled || f.label === "insufficient_data" ? "" : " below")});
    box.style.borderColor = COLORS[f.label] || "#9ca3af";
    var head = el("div", {"class": "head"});
    head.appendChild(chip(f.label, null, f.pair));
    var where = ["confidence " + f.confidence.toFixed(2)];
    if (f.onset !== null && f.onset !== undefined) where.push("onset step " + f.onset);
    if (f.span) where.push("steps " + f.span[0] + "–" + f.span[1]);
    if (!f.labelled && f.label !== "insufficient_data") where.push("below the confidence threshold");
    head.appendChild(document.createTextNode(where.join(" · ")));
    box.appendChild(head);
    box.appendChild(el("div", {"class": "summary"}, f.summary));
    var ev = kvGrid(f.evidence);
    if (ev) { var d = folded("evidence (" + Object.keys(f.evidence).length + ")", ev); if (f.labelled) d.open = true; box.appendChild(d); }
    box.appendChild(el("div", {"class": "runmeta"}, "detector" + (f.detectors.length > 1 ? "s " : " ") + f.detectors.join(", ") + " v" + f.version));
    var pa = kvGrid(f.parameters);
    if (pa) box.appendChild(folded("detector parameters", pa));
    return box;
  }

  function openRun(i) {
    var t0 = performance.now();
    var node = document.getElementById("run-" + i);
    if (!node) { if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", function () { openRun(i); }); } return; }
    var run = JSON.parse(node.textContent);
    run.i = i;
    closeRun(true);
    var inner = el("div", {"class": "inner"});
    var back = el("button", {type: "button", "class": "back"}, "← sweep overview");
    back.addEventListener("click", function () { history.pushState("", document.title, location.pathname + location.search); closeRun(); });
    if (OV.runs.length > 1) inner.appendChild(back);
    inner.appendChild(el("h2", null, run.name));
    var meta = ["format " + (run.format || "?")];
    if (run.status === "ok") meta.push(run.points + " points");
    meta.push("path " + run.path);
    if (run.writer) meta.push("writer " + run.writer);
    inner.appendChild(el("p", {"class": "runmeta"}, meta.join(" · ")));
    if (run.status !== "ok") {
      inner.appendChild(el("div", {"class": "err"}, "cannot read: " + (run.error || "unreadable")));
    } else {
      var cb = el("div");
      cb.appendChild(chips({ok: true, labels: run.labels, short: run.findings.some(function (f) { return f.label === "insufficient_data"; })}));
      inner.appendChild(cb);
      if (run.family) { var fam = el("p", {"class": "family"}); fam.appendChild(el("b", null, "Loss family: ")); fam.appendChild(document.createTextNode(run.family)); inner.appendChild(fam); }
      var rs = el("p", {"class": "reasonline"}); rs.appendChild(el("b", null, "Reason: ")); rs.appendChild(document.createTextNode(run.reason)); inner.appendChild(rs);
      if (run.warnings.length) {
        var w = el("details", {"class": "warns"});
        w.appendChild(el("summary", null, "⚠ " + run.warnings.length + " warning" + (run.warnings.length > 1 ? "s" : "") + ": " + run.warnings[0].slice(0, 110) + (run.warnings[0].length > 110 || run.warnings.length > 1 ? " …" : "")));
        var ul = el("ul"); run.warnings.forEach(function (t) { ul.appendChild(el("li", null, t)); }); w.appendChild(ul);
        inner.appendChild(w);
      }
      if (run.panels.length) {
        var tb = el("div", {"class": "toolbar"});
        var sl = el("input", {type: "range", min: "0", max: "0.99", step: "0.01", id: "smoothing", "aria-label": "smoothing"});
        sl.value = String(smoothing);
        var sv = el("span", {id: "smoothing-value"}, smoothing.toFixed(2));
        var l = el("label", null, "smoothing "); l.appendChild(sl); l.appendChild(document.createTextNode(" ")); l.appendChild(sv);
        tb.appendChild(l);
        sl.addEventListener("input", function () {
          smoothing = parseFloat(sl.value); sv.textContent = smoothing.toFixed(2);
          Object.keys(api.charts).forEach(function (k) {
            var u = api.charts[k], p = u._panel;
            u.setData(panelData(p, u._log).data, false);
          });
        });
        var io = el("input", {type: "checkbox", id: "ignore-outliers"});
        io.checked = ignoreOutliers;
        io.addEventListener("change", function () {
          ignoreOutliers = io.checked;
          Object.keys(api.charts).forEach(function (k) { var u = api.charts[k]; u.setScale("x", {min: u.scales.x.min, max: u.scales.x.max}); });
        });
        var iol = el("label", {title: "the y-axis holds the bulk of the points shown: 3 interquartile ranges beyond the quartiles"});
        iol.appendChild(io); iol.appendChild(document.createTextNode(" ignore outliers in y scaling"));
        tb.appendChild(iol);
        var reset = el("button", {type: "button"}, "reset zoom");
        reset.addEventListener("click", function () { Object.keys(api.charts).forEach(function (k) { var u = api.charts[k]; u.setData(u.data, true); }); });
        tb.appendChild(reset);
        tb.appendChild(el("span", {"class": "hint"}, "drag: zoom · wheel: zoom · shift+drag: pan · double-click: reset · hover: values"));
        inner.appendChild(tb);
        if (run.spans.length) {
          var sp = el("div", {"class": "spans"});
          run.spans.forEach(function (s) {
            var item = el("span"), sw = el("span", {"class": "sw"}); sw.style.background = s.color;
            item.appendChild(sw);
            item.appendChild(document.createTextNode(s.label + (s.pair ? " [" + s.pair + "]" : "") + " " + s.confidence.toFixed(2) + ": steps " + s.start + "–" + s.end + (s.onset !== null ? ", onset " + s.onset : "")));
            sp.appendChild(item);
          });
          inner.appendChild(sp);
        }
      }
      var charts = el("div", {id: "charts"});
      inner.appendChild(charts);
      detail.textContent = ""; detail.appendChild(inner); detail.hidden = false;
      run.panels.forEach(function (p) { panelBox(p, run, charts); });
      if (!run.panels.length) inner.appendChild(el("p", {"class": "runmeta"}, "No series to plot."));
      inner.appendChild(el("h3", null, "Findings"));
      var pairs = [];
      run.findings.forEach(function (f) { var k = f.pair || ""; if (pairs.indexOf(k) < 0) pairs.push(k); });
      if (!run.findings.length) inner.appendChild(el("p", {"class": "runmeta"}, run.reason || "No findings."));
      pairs.forEach(function (k) {
        if (pairs.length > 1 || k) inner.appendChild(el("h3", null, k ? "Pair " + k : "Whole run"));
        run.findings.filter(function (f) { return (f.pair || "") === k; }).forEach(function (f) { inner.appendChild(findingBox(f)); });
      });
      var roles = Object.keys(run.roles);
      if (roles.length) {
        var rt = el("table"); roles.forEach(function (k) { var tr = el("tr"); tr.appendChild(el("td", null, k)); var td = el("td"); td.appendChild(el("code", null, run.roles[k])); tr.appendChild(td); rt.appendChild(tr); });
        inner.appendChild(folded("roles (" + roles.length + ")", rt));
      }
      var tags = Object.keys(run.series);
      if (tags.length) {
        var st = el("table"), h = el("tr");
        ["tag", "points", "first step", "last step"].forEach(function (t, j) { h.appendChild(el("th", {"class": j ? "num" : null}, t)); });
        st.appendChild(h);
        tags.forEach(function (t) { var tr = el("tr"); var td = el("td"); td.appendChild(el("code", null, t)); tr.appendChild(td); run.series[t].forEach(function (v) { tr.appendChild(el("td", {"class": "num"}, v)); }); st.appendChild(tr); });
        inner.appendChild(folded("series (" + tags.length + ")", st));
      }
      var hp = kvGrid(run.hparams);
      if (hp) inner.appendChild(folded("hyperparameters (" + Object.keys(run.hparams).length + ")", hp));
      if (run.notes.length) { var ul2 = el("ul"); run.notes.forEach(function (t) { ul2.appendChild(el("li", null, t)); }); inner.appendChild(folded("notes (" + run.notes.length + ")", ul2)); }
    }
    if (detail.hidden) { detail.textContent = ""; detail.appendChild(inner); detail.hidden = false; }
    detail.scrollTop = 0;
    api.openRun = i;
    document.documentElement.setAttribute("data-run-ready", String(i));
    document.documentElement.setAttribute("data-run-ms", String(Math.round(performance.now() - t0)));
  }
  function closeRun(keep) {
    Object.keys(api.charts).forEach(function (k) { api.charts[k].destroy(); });
    api.charts = {};
    if (!keep) { detail.hidden = true; detail.textContent = ""; api.openRun = null; document.documentElement.removeAttribute("data-run-ready"); }
  }
  function route() {
    var m = /^#run-(\d+)$/.exec(location.hash);
    if (m) openRun(parseInt(m[1], 10)); else closeRun();
  }
  window.addEventListener("hashchange", route);
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      Object.keys(api.charts).forEach(function (k) {
        var u = api.charts[k], w = u.root.parentNode.clientWidth;
        if (w > 0) u.setSize({width: Math.max(w, 300), height: u.height});
      });
      if (overlayChart) drawOverlay();
    }, 150);
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && !detail.hidden && OV.runs.length > 1) { history.pushState("", document.title, location.pathname + location.search); closeRun(); } });

  buildOverview();
  buildHead();
  renderTable();
  drawOverlay();
  document.documentElement.setAttribute("data-ready", "1");
  document.documentElement.setAttribute("data-ready-ms", String(Math.round(performance.now())));
  if (location.hash) route();
  else if (OV.runs.length === 1) location.hash = "run-0";
})();
