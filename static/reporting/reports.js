/* Shared by the report pages' Chart.js charts (load after chart.umd.min.js). */
(function () {
  if (!window.Chart) { return; }
  /* Figures appear at once: no motion (also kinder to people who prefer reduced motion). */
  window.Chart.defaults.animation = false;
  /* Threshold lines across the whole plot, each labelled in words at its right end:
     options.plugins.leadopsThresholds.lines = [{value, label, dash, color}] (values on the y axis). */
  window.Chart.register({
    id: "leadopsThresholds",
    afterDatasetsDraw: function (chart, args, opts) {
      const lines = (opts && opts.lines) || [];
      const y = chart.scales.y;
      const area = chart.chartArea;
      const ctx = chart.ctx;
      lines.forEach(function (l) {
        if (l.value === null || l.value === undefined || !y) { return; }
        const py = y.getPixelForValue(l.value);
        ctx.save();
        ctx.strokeStyle = l.color || "#444";
        ctx.fillStyle = l.color || "#444";
        ctx.lineWidth = 2;
        ctx.setLineDash(l.dash || [6, 3]);
        ctx.beginPath();
        ctx.moveTo(area.left, py);
        ctx.lineTo(area.right, py);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.font = "12px system-ui, sans-serif";
        ctx.textAlign = "right";
        ctx.fillText(l.label, area.right - 4, py - 4);
        ctx.restore();
      });
    }
  });
})();
