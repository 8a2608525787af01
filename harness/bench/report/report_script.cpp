// The page script and style of the HTML report, kept as text here so the report stays one file.
// The script draws every chart from the embedded view (report_view.hpp), then writes what it drew
// into #render-status for the browser test (report_html.hpp).
#include "bench/report/report_html.hpp"

namespace wsalloc::report {

std::string_view page_style() {
  return R"CSS(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1360px;padding:0 16px 40px;color:#1d2330;background:#fafbfc}
h1{font-size:22px;margin:18px 0 2px}h2{font-size:18px;border-bottom:1px solid #d6dbe3;padding-bottom:3px;margin-top:28px}h3{font-size:16px;margin:18px 0 2px}
nav a{margin-right:10px}.muted{color:#66708a}.good{color:#137333}.bad{color:#b3261e;font-weight:600}.warn{color:#9a6700}
.banner{background:#eef4ff;border:1px solid #c6d6f5;border-radius:6px;padding:4px 16px 8px}.banner h2{border:0}
table{border-collapse:collapse;margin:6px 0;display:block;max-width:100%;overflow-x:auto}td,th{border:1px solid #dde2ea;padding:3px 7px;vertical-align:top}th{background:#f0f3f7;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.nm,.nm{color:#8a93a6;font-style:italic}tr.notrun td{color:#8a93a6}
td.notes{font-size:12px;color:#66708a;max-width:360px}td.cell{font-size:12.5px;white-space:nowrap}
td.delta.better{background:#e6f4ea;color:#137333}td.delta.worse{background:#fce8e6;color:#b3261e;font-weight:600}td.delta.same{color:#66708a}td.delta.na{color:#aab}
.charts{display:flex;flex-wrap:wrap;gap:10px}figure.chart{margin:0;background:#fff;border:1px solid #e3e7ee;border-radius:4px;padding:6px}
figcaption{font-size:12.5px;color:#3c4458;margin-bottom:2px}.sites{margin:0;padding-left:18px;font-size:12px}
pre{background:#f3f5f8;padding:6px 8px;overflow-x:auto;font-size:12px}#render-status{color:#99a;font-size:11px}
)CSS";
}

// One JavaScript literal, longer than a screen on purpose: the script is one closure (its status
// object and helpers are shared by every chart), and splitting it across C++ strings would hide
// the JavaScript's own structure, which reads top to bottom by chart.
std::string_view page_script() {
  return R"JS(
(function () {
  'use strict';
  var status = { done: false, sections: {}, errors: window.__reportErrors || [] };
  function writeStatus() { document.getElementById('render-status').textContent = JSON.stringify(status); }
  var data;
  try {
    data = JSON.parse(document.getElementById('report-data').textContent);
  } catch (e) {
    status.errors.push('report-data: ' + e.message); status.done = true; writeStatus(); return;
  }
  if (typeof Chart === 'undefined') {
    status.errors.push('Chart.js did not load'); status.done = true; writeStatus(); return;
  }
  Chart.defaults.animation = false;   // drawn at once: the test reads the canvases right after
  Chart.defaults.font.size = 11;

  // Twin of number_text.cpp format_number: null is "not measured", never 0.
  function fmtNum(v) {
    if (v === null || v === undefined) return 'not measured';
    if (v === 0) return '0';
    var a = Math.abs(v);
    if (a < 1e-3) return '\u22480';
    if (a < 100) return String(Number(v.toPrecision(3)));
    return Math.round(v).toLocaleString('en-US');
  }
  var palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
                 '#bcbd22', '#17becf', '#393b79', '#637939', '#8c6d31', '#843c39'];
  var colour = {};
  (data.targets || []).forEach(function (t, i) { colour[t.name] = palette[i % palette.length]; });
  function colourOf(name) {
    if (!(name in colour)) colour[name] = palette[Object.keys(colour).length % palette.length];
    return colour[name];
  }
  function measured(row) { return row.status === 'ok' || row.status === 'errors'; }

  // min/max whiskers from dataset.spread[i] = [min, max]
  var errorBars = {
    id: 'errorBars',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx, y = chart.scales.y;
      chart.data.datasets.forEach(function (ds, di) {
        if (!ds.spread) return;
        chart.getDatasetMeta(di).data.forEach(function (bar, i) {
          var s = ds.spread[i];
          if (!s || s[0] === null || s[1] === null) return;
          var lo = y.getPixelForValue(s[0]), hi = y.getPixelForValue(s[1]);
          ctx.save(); ctx.strokeStyle = '#1d2330'; ctx.lineWidth = 1.4; ctx.beginPath();
          ctx.moveTo(bar.x, lo); ctx.lineTo(bar.x, hi);
          ctx.moveTo(bar.x - 5, lo); ctx.lineTo(bar.x + 5, lo);
          ctx.moveTo(bar.x - 5, hi); ctx.lineTo(bar.x + 5, hi);
          ctx.stroke(); ctx.restore();
        });
      });
    }
  };
  // Text above every bar: the value as the tables write it, "0", or "not measured".
  var valueLabels = {
    id: 'valueLabels',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx, area = chart.chartArea;
      chart.data.datasets.forEach(function (ds, di) {
        if (!ds.labels) return;
        chart.getDatasetMeta(di).data.forEach(function (bar, i) {
          var text = ds.labels[i];
          var yPix = (ds.data[i] === null || ds.atFloor[i]) ? area.bottom - 4 : Math.max(bar.y - 4, area.top + 10);
          ctx.save(); ctx.fillStyle = ds.data[i] === null ? '#8a93a6' : '#1d2330';
          ctx.font = (ds.data[i] === null ? 'italic ' : '') + '11px sans-serif';
          ctx.textAlign = 'center'; ctx.fillText(text, bar.x, yPix); ctx.restore();
        });
      });
    }
  };

  function newCanvasChart(canvas, config) {
    canvas.width = 640; canvas.height = 300;
    config.options = config.options || {};
    config.options.responsive = false;
    return new Chart(canvas.getContext('2d'), config);
  }

  function barChart(canvas, scen, spec) {
    var rows = scen.rows.filter(measured);
    var labels = rows.map(function (r) { return r.target; });
    var vals = rows.map(function (r) { var m = r.m[spec.metric]; return m ? m.median : null; });
    var floor = null, atFloor = vals.map(function () { return false; });
    var plotted = vals.slice();
    if (spec.log) {
      // Log axes cannot show 0: zero (and counting noise |x| < 0.001) sits on the axis floor, labelled.
      var pos = vals.filter(function (v) { return v !== null && v >= 1e-3; });
      var lo = pos.length ? Math.min.apply(null, pos) : 1;
      floor = Math.pow(10, Math.floor(Math.log10(lo)) - 1);
      plotted = vals.map(function (v, i) {
        if (v === null) return null;
        if (v < 1e-3) { atFloor[i] = true; return floor; }
        return v;
      });
    }
    var spread = spec.spread ? rows.map(function (r) { var m = r.m[spec.metric]; return m && m.median !== null ? [m.min, m.max] : null; }) : null;
    var ds = { label: spec.metric, data: plotted, spread: spread, atFloor: atFloor,
               labels: vals.map(fmtNum), backgroundColor: labels.map(colourOf) };
    // Headroom above the tallest bar so its label and whisker stay inside the plot.
    var top = Math.max.apply(null, vals.concat(spread ? spread.map(function (s) { return s ? s[1] : null; }) : [])
                                       .filter(function (v) { return v !== null; }).concat([0]));
    var yScale = spec.log ? { type: 'logarithmic', min: floor, max: Math.pow(10, Math.ceil(Math.log10(Math.max(top, floor) * 2))),
                              title: { display: true, text: spec.unit + ' (log)' } }
                          : { beginAtZero: true, suggestedMax: top * 1.12, title: { display: true, text: spec.unit } };
    return newCanvasChart(canvas, {
      type: 'bar', data: { labels: labels, datasets: [ds] },
      options: { plugins: { legend: { display: false } }, scales: { y: yScale } },
      plugins: [errorBars, valueLabels]
    });
  }

  var pct = [['latency_p50_us', 50], ['latency_p90_us', 90], ['latency_p99_us', 99], ['latency_p999_us', 99.9],
             ['latency_p9999_us', 99.99]];
  function latencyChart(canvas, scen) {
    // x = 1 / (1 - q): p50 -> 2, p99 -> 100, p99.99 -> 10000, evenly spaced on a log axis.
    var names = {}; pct.forEach(function (p) { names[Math.round(100 / (100 - p[1]))] = 'p' + p[1]; });
    var datasets = scen.rows.filter(measured).map(function (r) {
      return {
        label: r.target, showLine: true, borderColor: colourOf(r.target), backgroundColor: colourOf(r.target),
        data: pct.map(function (p) { var m = r.m[p[0]]; return { x: 100 / (100 - p[1]), y: m ? m.median : null }; })
                 .filter(function (pt) { return pt.y !== null && pt.y > 0; })
      };
    }).filter(function (d) { return d.data.length > 0; });
    return newCanvasChart(canvas, {
      type: 'scatter', data: { datasets: datasets },
      options: {
        scales: {
          x: { type: 'logarithmic', min: 2, max: 10000,
               afterBuildTicks: function (axis) { axis.ticks = [2, 10, 100, 1000, 10000].map(function (v) { return { value: v }; }); },
               ticks: { callback: function (v) { return names[Math.round(v)] || ''; } },
               title: { display: true, text: 'percentile' } },
          y: { type: 'logarithmic', title: { display: true, text: 'round trip, \u00b5s (log)' } }
        },
        plugins: { legend: { position: 'right' } }
      }
    });
  }

  function allocatorChart(canvas) {
    var a = data.allocators;
    var datasets = a.targets.map(function (t) {
      return { label: t, backgroundColor: colourOf(t),
               data: a.rows.map(function (r) { var c = r.cells[t]; return c ? c.ratio_glibc : null; }) };
    });
    return newCanvasChart(canvas, {
      type: 'bar', data: { labels: a.rows.map(function (r) { return r.id; }), datasets: datasets },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'msg per server CPU-s, \u00d7 glibc' } } } }
    });
  }

  // Instructions per message: one group per workload, one bar per variant; log axis (a 64 KiB
  // echo costs 100x a 32-byte one).
  function instructionsChart(canvas) {
    var ins = data.instructions;
    var datasets = ins.variants.map(function (v) {
      return { label: v, backgroundColor: colourOf(v),
               data: ins.rows.map(function (r) { var c = r.cells[v]; return c && c.instructions > 0 ? c.instructions : null; }) };
    });
    return newCanvasChart(canvas, {
      type: 'bar', data: { labels: ins.rows.map(function (r) { return r.workload; }), datasets: datasets },
      options: { scales: { y: { type: 'logarithmic', title: { display: true, text: 'instructions per message (callgrind)' } } } }
    });
  }

  // One group per kind of cost (CPU µs, allocations, faults, calls, switches: all per message),
  // one bar per target; log axis, since they differ by orders of magnitude; a zero is not drawn
  // (the scenario's table has it).
  function costsChart(canvas, scen, spec) {
    var rows = scen.rows.filter(measured);
    var labels = spec.metrics.map(function (m) { return (data.metrics[m] && data.metrics[m].unit) ? m.replace(/_per_msg$/, '') + ' (' + data.metrics[m].unit + ')' : m; });
    var datasets = rows.map(function (r) {
      return { label: r.target, backgroundColor: colourOf(r.target),
               data: spec.metrics.map(function (m) { var v = r.m[m]; return v && v.median !== null && v.median > 1e-5 ? v.median : null; }) };
    });
    return newCanvasChart(canvas, {
      type: 'bar', data: { labels: labels, datasets: datasets },
      options: { scales: { y: { type: 'logarithmic', title: { display: true, text: 'per message' } } } }
    });
  }

  function safely(what, fn) {
    try { return fn(); } catch (e) { status.errors.push(what + ': ' + (e && e.message ? e.message : String(e))); return null; }
  }
  document.querySelectorAll('canvas[data-chart-index]').forEach(function (canvas) {
    var scen = data.scenarios[Number(canvas.dataset.scenarioIndex)];
    var spec = scen.charts[Number(canvas.dataset.chartIndex)];
    safely(scen.id + ' ' + (spec.metric || spec.type), function () {
      return spec.type === 'latency' ? latencyChart(canvas, scen)
           : spec.type === 'costs' ? costsChart(canvas, scen, spec) : barChart(canvas, scen, spec);
    });
  });
  var ac = document.getElementById('allocator-chart');
  if (ac) safely('allocators', function () { return allocatorChart(ac); });
  var ic = document.getElementById('instructions-chart');
  if (ic) safely('instructions', function () { return instructionsChart(ic); });

  // A chart counts as rendered when its canvas has drawn (non-transparent) pixels.
  function drawn(canvas) {
    if (!canvas.width || !canvas.height) return false;
    var px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (var i = 3; i < px.length; i += 4 * 7) if (px[i] !== 0) return true;
    return false;
  }
  function census() {
    document.querySelectorAll('section[data-section]').forEach(function (sec) {
      var canvases = sec.querySelectorAll('canvas');
      var n = 0;
      canvases.forEach(function (c) { if (safely('census', function () { return drawn(c); })) n++; });
      status.sections[sec.dataset.section] = { expected: Number(sec.dataset.expectedCharts), canvases: canvases.length, rendered: n };
    });
    // Layout: the page's width, and every table that sticks out of the window (the test opens the
    // page 1400 px wide: nothing may need the page to scroll sideways).
    status.window_width = window.innerWidth;
    status.page_width = document.documentElement.scrollWidth;
    status.wide_tables = [];
    document.querySelectorAll('table').forEach(function (t, i) {
      if (t.getBoundingClientRect().right > window.innerWidth + 0.5) status.wide_tables.push(t.id || ('table ' + i));
    });
    status.done = true;
    writeStatus();
  }
  setTimeout(census, 50);
})();
)JS";
}

}  // namespace wsalloc::report
