// Clinician chart: planned amount, recorded amount and withdrawal ratings on one time axis.
// Data comes from the <script type="application/json" id="diary-chart-data"> element.
(function () {
  "use strict";
  const holder = document.getElementById("diary-chart");
  const source = document.getElementById("diary-chart-data");
  if (!holder || !source || !window.Plotly) { return; }
  const d = JSON.parse(source.textContent);
  const traces = [
    { x: d.dates, y: d.actual, name: "Recorded (" + d.actual_label + ")", type: "bar",
      marker: { color: "#1f5fa8" } },
    { x: d.dates, y: d.withdrawal, name: "Withdrawal (0-10)", yaxis: "y2", mode: "lines+markers",
      line: { color: "#a4161a", dash: "dot" }, connectgaps: false },
  ];
  if (d.planned.length) {
    traces.splice(1, 0, { x: d.dates, y: d.planned, name: "Clinician's plan", mode: "lines",
      line: { color: "#1e6b3a", width: 3, shape: "hv" } });
  }
  window.Plotly.newPlot(holder, traces, {
    margin: { l: 48, r: 48, t: 10, b: 40 },
    legend: { orientation: "h", y: -0.2 },
    yaxis: { title: { text: "amount" }, rangemode: "tozero" },
    yaxis2: { title: { text: "withdrawal (0-10)" }, overlaying: "y", side: "right", range: [0, 10],
      tickmode: "linear", tick0: 0, dtick: 2, showgrid: false },
  }, { responsive: true, displaylogo: false });
})();
