// Draws the dashboard's charts from the JSON the server rendered into the page (no inline
// script, so the page keeps a strict Content-Security-Policy). A click on a bar opens the
// journeys behind it.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.Plotly) return;
  var figures = JSON.parse(source.textContent);
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var figure = figures[el.dataset.chart];
    if (!figure) return;
    window.Plotly.newPlot(el, figure.data, figure.layout, {
      displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"]
    }).then(function () {
      el.on("plotly_click", function (event) {
        var point = event.points && event.points[0];
        if (point && point.customdata) window.location.assign(point.customdata);
      });
    });
  });
})();
