// Clinician's n-of-1 page: a scatter plot of the chosen pairs (the day's use across, the next
// day's rating up). Data from <script type="application/json" id="nof1-chart-data">; the
// <select id="nof1-choice"> picks the substance, exposure and outcome.
(function () {
  "use strict";
  const holder = document.getElementById("nof1-chart");
  const source = document.getElementById("nof1-chart-data");
  const choice = document.getElementById("nof1-choice");
  if (!holder || !source || !choice || !window.Plotly) { return; }
  const series = JSON.parse(source.textContent).series;
  function draw() {
    const s = series[Number(choice.value)] || series[0];
    window.Plotly.react(holder, [{
      x: s.x, y: s.y, mode: "markers", type: "scatter", name: s.label,
      marker: { color: "#1f5fa8", size: 9, opacity: 0.35 },
      hovertemplate: "%{x} → %{y}<extra></extra>",
    }], {
      margin: { l: 56, r: 16, t: 10, b: 56 },
      xaxis: { title: { text: s.x_label }, rangemode: "tozero", zeroline: false },
      yaxis: { title: { text: s.y_label }, range: [-0.5, 10.5], tickmode: "linear", tick0: 0,
        dtick: 2 },
      showlegend: false,
    }, { responsive: true, displaylogo: false });
  }
  choice.addEventListener("change", draw);
  draw();
})();
