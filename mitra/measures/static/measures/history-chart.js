// Score-history charts: reads the data Django wrote into #measures-chart-data and draws one
// Plotly chart per instrument, with the published severity bands shaded behind the scores.
// The table beside each chart is the accessible version of the same numbers.
(function () {
  "use strict";
  var source = document.getElementById("measures-chart-data");
  if (!source || typeof window.Plotly === "undefined") { return; }
  var charts = JSON.parse(source.textContent);
  var shades = ["#eef5ee", "#f7f4e6", "#fbeede", "#f9e3dc", "#f3d6d6", "#eddada"];
  charts.forEach(function (chart) {
    var el = document.querySelector('[data-chart="' + chart.id + '"]');
    if (!el) { return; }
    var shapes = chart.bands.map(function (band, i) {
      return { type: "rect", xref: "paper", x0: 0, x1: 1, yref: "y", y0: band.min - 0.5,
        y1: band.max + 0.5, fillcolor: shades[i % shades.length], line: { width: 0 },
        layer: "below" };
    });
    var annotations = chart.bands.map(function (band) {
      return { xref: "paper", x: 1, xanchor: "right", yref: "y", y: (band.min + band.max) / 2,
        text: band.label, showarrow: false, font: { size: 10, color: "#5a6474" } };
    });
    var symbols = chart.reliable.map(function (r) {
      return r === "deteriorated" ? "triangle-up" : (r === "improved" ? "triangle-down" : "circle");
    });
    var trace = { x: chart.dates, y: chart.totals, mode: "lines+markers", name: chart.name,
      connectgaps: false, marker: { size: 9, symbol: symbols, color: "#1f5fa8" },
      line: { color: "#1f5fa8" } };
    Plotly.newPlot(el, [trace], {
      margin: { l: 36, r: 8, t: 8, b: 36 }, showlegend: false, shapes: shapes,
      annotations: annotations,
      yaxis: { range: [chart.min - 0.5, chart.max + 0.5], fixedrange: true, title: "" },
      xaxis: { type: "date", fixedrange: true }
    }, { displayModeBar: false, responsive: true, staticPlot: false });
  });
})();
