// 领导驾驶舱: draws every figure embedded as <script type="application/json" data-plotly="ID">
// into the element #ID (no inline scripts: the Content-Security-Policy forbids them).
// A click on a point follows the link in its customdata (a string, or the first item of a list):
// "/…" opens that page, "#id" opens the <details id="id"> on this page.
(function () {
  "use strict";
  var charts = [];
  var config = {
    responsive: true,
    // on a phone the mode bar would sit over the 12月底 and 100% labels: none there (the
    // download button is still on every wider screen)
    displayModeBar: window.matchMedia("(max-width: 600px)").matches ? false : "hover",
    displaylogo: false,
    scrollZoom: false,
    showSendToCloud: false,  // nothing leaves this server
    modeBarButtonsToRemove: ["select2d", "lasso2d", "zoom2d", "pan2d", "zoomIn2d", "zoomOut2d",
                             "autoScale2d", "resetScale2d", "sendChartToCloud"],
    toImageButtonOptions: { format: "png", scale: 2 }
  };

  function linkOf(point) {
    var data = point && point.customdata;
    var link = Array.isArray(data) ? data[0] : data;
    return typeof link === "string" ? link : "";
  }

  function follow(link) {
    if (link.charAt(0) === "/") {
      window.location.assign(link);
    } else if (link.charAt(0) === "#") {
      var target = document.getElementById(link.slice(1));
      if (target) {
        if (target.tagName === "DETAILS") { target.open = true; }
        target.scrollIntoView({ behavior: "smooth", block: "start" });
      }
    }
  }

  function draw(source) {
    var target = document.getElementById(source.getAttribute("data-plotly"));
    if (!target || !window.Plotly) { return; }
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(target, figure.data, figure.layout, config).then(function (plot) {
      charts.push(plot);
      plot.on("plotly_click", function (event) {
        var link = event && event.points && event.points.length ? linkOf(event.points[0]) : "";
        if (link) { follow(link); }
      });
      plot.on("plotly_hover", function (event) {
        var link = event && event.points && event.points.length ? linkOf(event.points[0]) : "";
        plot.classList.toggle("has-link", Boolean(link));
      });
      plot.on("plotly_unhover", function () { plot.classList.remove("has-link"); });
    });
  }

  // Printing: the browser lays the page out for paper only after "beforeprint", and Plotly's
  // own resize waits for a timer, so each chart is redrawn at once at the A4 text width.
  var PRINT_WIDTH = 680;
  var printing = false;
  var printMedia = window.matchMedia ? window.matchMedia("print") : null;

  function forPrint() {
    printing = true;
    charts.forEach(function (plot) { window.Plotly.relayout(plot, { width: PRINT_WIDTH }); });
  }

  // Back on screen the page's own widths return only once the browser has laid it out for
  // the screen again: measuring the charts' boxes before that (straight after "afterprint" or
  // the media change) would keep them at paper width, so wait two frames.  Every way back
  // ("afterprint", the media change) schedules the redraw, and it happens only if the page is
  // then really on screen: the events of one print come in no fixed order (a PDF made while
  // print media is emulated sends a change of its own).
  function forScreen() {
    printing = false;
    window.requestAnimationFrame(function () {
      window.requestAnimationFrame(function () {
        if (printing || (printMedia && printMedia.matches)) { return; }
        charts.forEach(function (plot) {
          window.Plotly.relayout(plot, { width: null, autosize: true }).then(function () {
            window.Plotly.Plots.resize(plot);
          });
        });
      });
    });
  }

  document.querySelectorAll('script[type="application/json"][data-plotly]').forEach(draw);
  window.addEventListener("beforeprint", forPrint);
  window.addEventListener("afterprint", forScreen);
  if (printMedia && printMedia.addEventListener) {
    printMedia.addEventListener("change", function (event) { (event.matches ? forPrint : forScreen)(); });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
})();
