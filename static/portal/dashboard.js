/* Dashboard charts: throughput (successful transactions, stacked per pair or flow) and error
   rate (percent of attempts that failed) over time, drawn with Chart.js from our static files.
   Each [data-chart-panel] carries its first data in a json_script element (data-initial) and
   fetches data-series-url?range=... when a range button is pressed, and again every minute
   for the range shown while the page is visible. No inline scripts (CSP). */
(function () {
  "use strict";

  var REFRESH_MS = 60000;
  var COLORS = ["#2456d6", "#1a7f37", "#a15c00", "#8250df", "#0a7ea4", "#b42318", "#6e7781", "#bf3989"];

  function color(i) { return COLORS[i % COLORS.length]; }

  function chartFor(canvas, config) {
    var existing = window.Chart.getChart(canvas);
    if (existing) {
      existing.data = config.data;
      existing.update();
      return existing;
    }
    return new window.Chart(canvas, config);
  }

  function throughputConfig(data) {
    return {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) {
          return { label: s.name, data: s.succeeded, backgroundColor: color(i) };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } }
      }
    };
  }

  function errorRateConfig(data) {
    return {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) {
          return { label: s.name, data: s.error_rate, borderColor: color(i), backgroundColor: color(i),
                   spanGaps: false, pointRadius: 2, tension: 0 };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, suggestedMax: 10,
                       ticks: { callback: function (v) { return v + " %"; } } } },
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { label: function (ctx) {
            var s = data.series[ctx.datasetIndex], i = ctx.dataIndex;
            return s.name + ": " + ctx.parsed.y + " % (" + s.failed[i] + " of " + s.total[i] + " failed)";
          } } }
        }
      }
    };
  }

  function render(panel, data) {
    var note = panel.querySelector("[data-chart-status]");
    var attempts = data.series.reduce(function (n, s) {
      return n + s.total.reduce(function (a, b) { return a + b; }, 0);
    }, 0);
    chartFor(panel.querySelector("[data-chart=throughput]"), throughputConfig(data));
    chartFor(panel.querySelector("[data-chart=error-rate]"), errorRateConfig(data));
    panel.dataset.range = data.range;
    panel.querySelectorAll("[data-range]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.range === data.range));
    });
    note.classList.remove("bad");
    note.textContent = (attempts ? attempts + " attempts in this range. " : "No transactions in this range. ") +
      "Times in UTC, " + (data.unit === "hour" ? "one bar per hour." : "one bar per day.");
  }

  function load(panel, range) {
    var url = new URL(panel.dataset.seriesUrl, window.location.href);
    url.searchParams.set("range", range);
    panel.setAttribute("aria-busy", "true");
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.detail || "The chart data could not be loaded."); }
          return body;
        });
      })
      .then(function (body) { render(panel, body); })
      .catch(function (error) {
        var note = panel.querySelector("[data-chart-status]");
        note.classList.add("bad");
        note.textContent = error instanceof SyntaxError
          ? "The chart data could not be loaded; reload the page (you may have been signed out)."
          : error.message;
      })
      .finally(function () { panel.removeAttribute("aria-busy"); });
  }

  function init(panel) {
    var initial = document.getElementById(panel.dataset.initial);
    if (initial) {
      render(panel, JSON.parse(initial.textContent));
    } else {
      load(panel, "24h");
    }
    panel.querySelectorAll("[data-range]").forEach(function (button) {
      button.addEventListener("click", function () { load(panel, button.dataset.range); });
    });
    window.setInterval(function () {
      if (document.visibilityState === "visible" && !panel.hasAttribute("aria-busy")) {
        load(panel, panel.dataset.range || "24h");
      }
    }, REFRESH_MS);
  }

  function start() {
    if (!window.Chart) { return; }
    document.querySelectorAll("[data-chart-panel]").forEach(init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
