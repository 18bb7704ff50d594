// The clinic's outcomes by month: one small chart per team and questionnaire, a line per
// outcome (percent of the patients judged that month). Reads the JSON Django wrote into
// #outcomes-data; a suppressed or empty month is a gap, never bridged. The tables on the page
// hold the same figures; each line differs by dash and marker as well as colour.
(function () {
  "use strict";
  var source = document.getElementById("outcomes-data");
  var el = document.getElementById("outcomes-chart");
  if (!source || !el || typeof window.Plotly === "undefined") { return; }
  var charts = JSON.parse(source.textContent);
  var colours = ["#2f7d4a", "#8a1c1c", "#1f5fa8", "#7a3e9d"];
  var dashes = ["solid", "dash", "dot", "dashdot"];
  var symbols = ["circle", "triangle-up", "square", "diamond"];
  charts.forEach(function (c) {
    if (!c.series.some(function (s) { return s.pct.some(function (v) { return v !== null; }); })) {
      return;
    }
    var box = document.createElement("div");
    box.className = "outcomes-plot";
    el.appendChild(box);
    var traces = c.series.map(function (s, n) {
      return { x: c.months, y: s.pct, name: s.label, mode: "lines+markers", connectgaps: false,
        line: { color: colours[n % 4], dash: dashes[n % 4], width: 2 },
        marker: { symbol: symbols[n % 4], size: 8 },
        hovertemplate: s.label + ": %{y}%<extra></extra>" };
    });
    window.Plotly.newPlot(box, traces, {
      title: { text: c.group + ": " + c.instrument, font: { size: 14 } },
      height: 280, margin: { l: 48, r: 12, t: 36, b: 40 },
      yaxis: { title: { text: "% of patients judged" }, range: [0, 100], fixedrange: true },
      xaxis: { type: "date", tickformat: "%b %Y", fixedrange: true },
      legend: { orientation: "h", y: -0.25 }
    }, { displayModeBar: false, responsive: true });
  });
}());
