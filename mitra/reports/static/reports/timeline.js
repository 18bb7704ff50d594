// The patient timeline: one Plotly figure, one shared time axis, one row per kind of data.
// Reads the JSON that Django wrote into #timeline-data. Every series differs by marker and
// dash style as well as colour, and carries a label, so nothing depends on colour alone.
// data-mode="simple" (the patient's own page) leaves out the withdrawal scales and events.
// Diary series have a point for every day of the period: a day without a diary entry is a gap
// in the line (null, connectgaps false), never bridged; a day with an entry and no use of a
// substance is a recorded zero. On a narrow screen each diary rating gets its own row.
(function () {
  "use strict";
  var source = document.getElementById("timeline-data");
  var el = document.getElementById("timeline");
  if (!source || !el || typeof window.Plotly === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var simple = el.getAttribute("data-mode") === "simple";
  var narrow = el.clientWidth < 640;
  var shades = ["#eef5ee", "#f7f4e6", "#fbeede", "#f9e3dc", "#f3d6d6", "#eddada"];
  var colours = ["#1f5fa8", "#b35900", "#2f7d4a", "#7a3e9d", "#8a1c1c", "#3d5a80"];
  var dashes = ["solid", "dash", "dot", "dashdot", "longdash"];
  var symbols = ["circle", "square", "diamond", "x", "triangle-up"];
  // Daily amounts: solid lines, one colour and one marker per substance, none shared with the
  // diary ratings' lines.
  var amountColours = ["#00707a", "#8a1c1c", "#5b4b8a", "#6b5d00"];
  var amountSymbols = ["hexagon", "pentagon", "hourglass", "cross"];

  // Every day of the period, as YYYY-MM-DD.
  function days(start, end) {
    var out = [], d = new Date(start + "T00:00:00Z"), last = new Date(end + "T00:00:00Z");
    for (; d <= last; d.setUTCDate(d.getUTCDate() + 1)) { out.push(d.toISOString().slice(0, 10)); }
    return out;
  }
  var period = days(data.start, data.end);
  var recorded = {};
  data.ratings.dates.forEach(function (d) { recorded[d] = true; });
  // One value a day: the value on a day that has one, `absent` on another recorded day, null
  // (a gap) on a day without a diary entry.
  function daily(dates, values, absent) {
    var byDay = {};
    dates.forEach(function (d, i) { byDay[d] = values[i]; });
    return period.map(function (d) {
      if (!recorded[d]) { return null; }
      return byDay[d] === undefined || byDay[d] === null ? absent : byDay[d];
    });
  }
  var rows = [];   // {title, height, traces, yaxis props, shapes, annotations}

  function scoreRow(q) {
    var pts = q.points.filter(function (p) { return p.total !== null; });
    if (!pts.length) { return null; }
    var marker = pts.map(function (p) {
      return p.reliable === "deteriorated" ? "triangle-up" :
        (p.reliable === "improved" ? "triangle-down" : "circle");
    });
    var text = pts.map(function (p) {
      var t = q.short_name + " " + p.total + " (" + (p.severity || "no band") + ")";
      if (p.is_baseline) { t += "<br>first score"; }
      else if (p.change !== null) {
        t += "<br>change since first " + (p.change > 0 ? "+" : "") + p.change;
        if (p.reliable) { t += ": " + p.reliable; }
        if (p.remission) { t += ", remission"; }
      }
      return t;
    });
    // An item alert: a large open star on the score, named in the legend and on hover (a text
    // label beside it would run into the band names).
    var flagged = pts.filter(function (p) { return p.alerts && p.alerts.length; });
    var extra = flagged.length ? [{ x: flagged.map(function (p) { return p.date; }),
      y: flagged.map(function (p) { return p.total; }), mode: "markers",
      name: q.short_name + " item alert",
      hovertext: flagged.map(function (p) { return "Item alert: " + p.alerts.join("<br>"); }),
      hoverinfo: "text+x",
      marker: { size: 22, symbol: "star-open", color: "#a4161a", line: { width: 2 } } }] : [];
    return {
      title: q.short_name, weight: 1.1, range: [q.min - 0.5, q.max + 0.5],
      bands: q.bands,
      traces: [{ x: pts.map(function (p) { return p.date; }),
        y: pts.map(function (p) { return p.total; }), mode: "lines+markers", name: q.short_name,
        text: text, hoverinfo: "text+x",
        marker: { size: 10, symbol: marker, color: "#1f5fa8", line: { width: 1, color: "#fff" } },
        line: { color: "#1f5fa8", width: 2 } }].concat(extra)
    };
  }

  ["phq9", "gad7"].forEach(function (id) {
    data.questionnaires.forEach(function (q) {
      if (q.id === id) { var r = scoreRow(q); if (r) { rows.push(r); } }
    });
  });

  // Daily amounts, one solid line per substance with an amount.
  var amountTraces = [];
  var unitNames = {};
  data.substances.forEach(function (s) {
    if (!s.unit || !s.amounts.length) { return; }
    unitNames[s.unit] = true;
    var n = amountTraces.length;
    amountTraces.push({ x: period, y: daily(s.dates, s.amounts, 0), mode: "lines+markers",
      name: s.label + " (" + s.unit + ")", connectgaps: false,
      line: { color: amountColours[n % amountColours.length], dash: "solid", width: 1.5 },
      marker: { size: 5, symbol: amountSymbols[n % amountSymbols.length] },
      hovertemplate: s.label + ": %{y} " + s.unit + "<extra></extra>" });
  });
  if (amountTraces.length) {
    rows.push({ title: "Daily amount" + (Object.keys(unitNames).length === 1 ? " (" + Object.keys(unitNames)[0] + ")" : ""),
      weight: 1.2, traces: amountTraces, rangemode: "tozero" });
  }
  // The taper plan in its own row, next to the recorded amount counted in the plan's terms
  // (series.py, diary.taper.plan_terms): both lines in one unit, never over a series in another.
  if (data.plan) {
    var terms = data.plan.terms;
    rows.push({ title: "Taper plan (" + terms + ")", weight: 1.1, rangemode: "tozero", traces: [
      { x: data.plan.dates, y: data.plan.actual, mode: "lines+markers", connectgaps: false,
        name: "Recorded (" + terms + ")", line: { color: "#1f5fa8", width: 1.5 },
        marker: { size: 4, symbol: "circle" },
        hovertemplate: "Recorded: %{y} " + terms + "<extra></extra>" },
      { x: data.plan.dates, y: data.plan.planned, mode: "lines",
        name: "Taper plan, set by the clinician (" + terms + ")",
        line: { color: "#444", dash: "dash", width: 2.5, shape: "hv" },
        hovertemplate: "Clinician's plan: %{y} " + terms + "<extra></extra>" }] });
  }

  // Diary ratings 0-10: one row, or on a narrow screen one row each (four lines in one small
  // row are a tangle there).
  if (data.ratings.dates.length) {
    var rt = ["mood", "anxiety", "craving", "withdrawal"].map(function (key, i) {
      return { x: period, y: daily(data.ratings.dates, data.ratings[key], null),
        mode: "lines+markers", name: data.ratings.labels[key], connectgaps: false,
        line: { color: colours[i], dash: dashes[i], width: 1.3 },
        marker: { size: 5, symbol: symbols[i] },
        hovertemplate: data.ratings.labels[key] + ": %{y}/10<extra></extra>" };
    });
    if (simple) { rt = rt.slice(0, 3); }
    if (narrow) {
      ["Mood", "Anxiety", "Craving", "Withdrawal"].slice(0, rt.length).forEach(function (title, i) {
        rows.push({ title: title, weight: 0.6, range: [-0.5, 10.5], traces: [rt[i]], dtick: 5 });
      });
    } else {
      rows.push({ title: "Diary 0-10", weight: 1, range: [-0.5, 10.5], traces: rt });
    }
  }

  if (!simple) {
    var wd = [];
    data.questionnaires.forEach(function (q, i) {
      if (q.id !== "sows" && q.id !== "cows") { return; }
      var pts = q.points.filter(function (p) { return p.total !== null; });
      if (!pts.length) { return; }
      wd.push({ x: pts.map(function (p) { return p.date; }), y: pts.map(function (p) { return p.total; }),
        mode: "lines+markers", name: q.short_name + " (0-" + q.max + ")",
        line: { color: colours[(i + 3) % colours.length], dash: dashes[i % dashes.length] },
        marker: { size: 8, symbol: symbols[(i + 2) % symbols.length] },
        text: pts.map(function (p) { return q.short_name + " " + p.total + " (" + (p.severity || "") + ")"; }),
        hoverinfo: "text+x" });
    });
    if (wd.length) { rows.push({ title: "Withdrawal scales", weight: 0.8, traces: wd, rangemode: "tozero" }); }

    // Events on a categorical axis: medications, alerts, homework.
    var ev = [];
    // One marker a day and kind: medications started (or stopped) on the same day share one
    // label instead of printing theirs over each other.
    var medX = [], medText = [], medSym = [], medAt = {};
    function medEvent(day, verb, symbol, name) {
      if (!day || day < data.start || day > data.end) { return; }
      var k = day + verb;
      if (medAt[k] === undefined) {
        medAt[k] = medX.length; medX.push(day); medText.push(verb + " " + name); medSym.push(symbol);
      } else { medText[medAt[k]] += ", " + name; }
    }
    data.medications.forEach(function (m) {
      medEvent(m.started_on, "Started", "triangle-right", m.name);
      medEvent(m.stopped_on, "Stopped", "x", m.name);
    });
    if (medX.length) {
      ev.push({ x: medX, y: medX.map(function () { return "Medications"; }), mode: "markers+text",
        text: medText, textposition: "top center", textfont: { size: 10 }, name: "Medication start/stop",
        marker: { size: 12, symbol: medSym, color: "#3d5a80" }, hovertemplate: "%{text}<extra></extra>" });
    }
    if (data.alerts.length) {
      var sym = { 1: "star", 2: "diamond", 3: "circle", 4: "circle-open" };
      var col = { 1: "#a4161a", 2: "#8a5a00", 3: "#5a6474", 4: "#5a6474" };
      ev.push({ x: data.alerts.map(function (a) { return a.date; }),
        y: data.alerts.map(function () { return "Alerts"; }), mode: "markers", name: "Alerts",
        text: data.alerts.map(function (a) { return a.priority + " · " + a.kind + " (" + a.status + ")<br>" + a.reason; }),
        hovertemplate: "%{text}<extra></extra>",
        marker: { size: data.alerts.map(function (a) { return a.priority_value === 1 ? 16 : 10; }),
          symbol: data.alerts.map(function (a) { return sym[a.priority_value]; }),
          color: data.alerts.map(function (a) { return col[a.priority_value]; }) } });
    }
    if (data.homework.length) {
      ev.push({ x: data.homework.map(function (h) { return h.completed_on || h.due_on; }),
        y: data.homework.map(function () { return "CBT homework"; }), mode: "markers", name: "CBT homework",
        text: data.homework.map(function (h) { return h.title + (h.done ? ": done" : (h.overdue ? ": not done, overdue" : ": open")); }),
        hovertemplate: "%{text}<extra></extra>",
        marker: { size: 10, color: "#2f7d4a",
          symbol: data.homework.map(function (h) { return h.done ? "circle" : "circle-open"; }) } });
    }
    if (ev.length) { rows.push({ title: "Events", weight: 0.7, traces: ev, categorical: true }); }
  }

  // One day of room after the end, so a marker on the last day is not cut in half.
  function dayAfter(iso) {
    var d = new Date(iso + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  }

  if (!rows.length) { el.textContent = "Nothing recorded in this period yet."; return; }

  // Stack the rows top to bottom on one x axis.
  var gap = 0.035, total = 0;
  rows.forEach(function (r) { total += r.weight; });
  var usable = 1 - gap * (rows.length - 1);
  var top = 1, traces = [], shapes = [], annotations = [];
  var height = 0;
  rows.forEach(function (r) { height += 175 * Math.min(r.weight, 1); });
  // The top margin leaves room for Plotly's mode bar (buttons 44 px high, a finger's size)
  // above the first row, clear of its band names.
  var layout = { showlegend: true, legend: { orientation: "h", y: -0.06, font: { size: 11 } },
    hovermode: "closest", margin: { l: 48, r: narrow ? 58 : 96, t: 50, b: 40 },
    height: Math.max(480, height + 110), dragmode: "zoom" };
  rows.forEach(function (r, i) {
    var n = i + 1, axis = n === 1 ? "y" : "y" + n, key = n === 1 ? "yaxis" : "yaxis" + n;
    var bottom = top - usable * r.weight / total;
    layout[key] = { domain: [Math.max(bottom, 0), top], title: { text: r.title, font: { size: 11 } },
      fixedrange: true, zeroline: false, automargin: true };
    if (r.range) { layout[key].range = r.range; }
    if (r.dtick) { layout[key].dtick = r.dtick; }
    if (r.rangemode) { layout[key].rangemode = r.rangemode; }
    if (r.categorical) { layout[key].type = "category"; }
    r.traces.forEach(function (t) { t.xaxis = "x"; t.yaxis = axis; traces.push(t); });
    (r.bands || []).forEach(function (b, j) {
      shapes.push({ type: "rect", xref: "paper", x0: 0, x1: 1, yref: axis, y0: b.min - 0.5,
        y1: b.max + 0.5, fillcolor: shades[j % shades.length], line: { width: 0 }, layer: "below" });
      // Named in the right margin, beside the plot, where no point or line can run into them
      // (on a narrow screen a name of two words takes two lines).
      annotations.push({ xref: "paper", x: 1, xanchor: "left", xshift: 4, yref: axis,
        y: (b.min + b.max) / 2, text: narrow ? b.label.replace(/[ -]/g, "<br>") : b.label,
        align: "left", showarrow: false, font: { size: 9, color: "#5a6474" } });
    });
    top = bottom - gap;
  });
  // Pause periods of the taper plan, shaded across every row.
  if (data.plan) {
    data.plan.pauses.forEach(function (p) {
      shapes.push({ type: "rect", xref: "x", yref: "paper", x0: p.start, x1: p.end || data.end,
        y0: 0, y1: 1, fillcolor: "#999", opacity: 0.12, line: { width: 0 }, layer: "below" });
      annotations.push({ xref: "x", x: p.start, yref: "paper", y: 1, yanchor: "bottom",
        text: "taper paused", showarrow: false, font: { size: 9 } });
    });
  }
  layout.xaxis = { type: "date", anchor: rows.length === 1 ? "y" : "y" + rows.length,
    range: [data.start, dayAfter(data.end)], showspikes: true, spikemode: "across", spikedash: "dot" };
  layout.shapes = shapes;
  layout.annotations = annotations;
  // The mode bar sits in the top margin, above the first row and its band names; on a narrow
  // screen it keeps only zoom, reset and download, so it stays one row high there.
  var remove = ["lasso2d", "select2d"];
  if (narrow) { remove = remove.concat(["pan2d", "zoomIn2d", "zoomOut2d", "autoScale2d"]); }
  Plotly.newPlot(el, traces, layout, { responsive: true, displaylogo: false,
    modeBarButtonsToRemove: remove });
})();
