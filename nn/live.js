// The training view of nn.LiveView (an anywidget module). The kernel sends numbers: `setup`
// once (title, the model's graph as Graphviz SVG, the data points) and `state` at every update
// (curves, latest numbers, histograms, boundary grid). Everything is drawn here as SVG; text
// is set as text (textContent), never parsed as HTML; the graph travels as an <img> of an
// SVG data URL, which cannot run code. No request leaves the page.

const SVG = "http://www.w3.org/2000/svg";
const PALETTE = ["#d53e4f", "#3288bd", "#66c2a5", "#fdae61", "#5e4fa2", "#f46d43", "#abdda4",
  "#9e0142", "#fee08b", "#e6f598"];
const CURVE_COLORS = { loss: "#1f77b4", val_loss: "#ff7f0e", accuracy: "#1f77b4",
  val_accuracy: "#ff7f0e" };
const STYLE = `
.gg-live { font: 12px/1.3 system-ui, sans-serif; color: #222; max-width: 100%; }
.gg-live .gg-head { display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
.gg-live .gg-title { font-weight: 600; font-size: 14px; }
.gg-live .gg-loss { font-size: 20px; font-variant-numeric: tabular-nums; }
.gg-live .gg-row { display: flex; gap: 12px; flex-wrap: wrap; margin: 6px 0; }
.gg-live .gg-panel { border: 1px solid #ddd; border-radius: 4px; padding: 4px; }
.gg-live .gg-panel > .gg-name { font-weight: 600; margin-bottom: 2px; }
.gg-live .gg-graph img { max-width: 100%; height: auto; }
.gg-live .gg-layers { display: flex; gap: 8px; flex-wrap: wrap; }
.gg-live .gg-stats { color: #555; font-size: 11px; font-variant-numeric: tabular-nums; }
`;

function svg(tag, attributes = {}, parent = null) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (parent) parent.appendChild(element);
  return element;
}

function html(tag, className, parent, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  if (parent) parent.appendChild(element);
  return element;
}

function label(parent, x, y, text, anchor = "start", size = 10) {
  const t = svg("text", { x, y, "font-size": size, "text-anchor": anchor, fill: "#333" }, parent);
  t.textContent = text;
  return t;
}

function format(value, digits = 4) {
  if (value === null || value === undefined) return "nan";
  const size = Math.abs(value);
  return size !== 0 && (size < 1e-3 || size >= 1e5) ? Number(value).toExponential(digits - 2)
    : Number(value).toPrecision(digits);
}

// a line chart of the named curves against the epochs
function drawCurves(box, curves, names, title) {
  box.replaceChildren();
  const W = 260, H = 170, L = 44, R = 8, T = 18, B = 24;
  const chart = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "gg-curve" },
    box);
  chart.dataset.name = title;
  label(chart, W / 2, 12, title, "middle", 11);
  const epochs = curves.epoch || [];
  const values = names.flatMap(n => (curves[n] || []).filter(v => v !== null));
  if (!epochs.length || !values.length) {
    label(chart, W / 2, H / 2, "waiting for the first epoch", "middle");
    return;
  }
  let lo = Math.min(...values), hi = Math.max(...values);
  if (hi === lo) { lo -= 0.5; hi += 0.5; }
  const e0 = epochs[0], e1 = epochs[epochs.length - 1] === e0 ? e0 + 1 : epochs[epochs.length - 1];
  const x = e => L + (W - L - R) * (e - e0) / (e1 - e0);
  const y = v => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  svg("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "none",
    stroke: "#bbb" }, chart);
  label(chart, L - 3, T + 8, format(hi, 3), "end", 9);
  label(chart, L - 3, H - B, format(lo, 3), "end", 9);
  label(chart, L, H - 8, String(e0), "start", 9);
  label(chart, W - R, H - 8, `epoch ${epochs[epochs.length - 1]}`, "end", 9);
  names.forEach((name, k) => {
    const points = [];
    (curves[name] || []).forEach((v, i) => {
      if (v !== null) points.push(`${x(epochs[i]).toFixed(1)},${y(v).toFixed(1)}`);
    });
    if (!points.length) return;
    const line = svg("polyline", { points: points.join(" "), fill: "none",
      stroke: CURVE_COLORS[name], "stroke-width": 1.5 }, chart);
    line.dataset.curve = name;
    line.dataset.count = String(points.length);
    label(chart, W - R - 4, T + 12 + 11 * k, name.replace("_", " "), "end", 9)
      .setAttribute("fill", CURVE_COLORS[name]);
  });
}

// the decision boundary: the grid's predicted classes as runs of cells, then the points
function drawBoundary(box, boundary, points) {
  box.replaceChildren();
  if (!boundary || !points) return;
  const S = 220;
  const [x0, x1, y0, y1] = points.extent;
  html("div", "gg-name", box, "decision boundary");
  const chart = svg("svg", { width: S, height: S, viewBox: `0 0 ${S} ${S}`,
    class: "gg-boundary" }, box);
  const x = v => S * (v - x0) / (x1 - x0);
  const y = v => S * (1 - (v - y0) / (y1 - y0));
  // one string of base-36 digits per row of cells, from low y to high y
  const rows = boundary.classes.map(r => Array.from(r, c => parseInt(c, 36))),
    n = rows.length, m = rows[0].length;
  const cw = S / m, ch = S / n;
  const regions = svg("g", { opacity: 0.45 }, chart);
  rows.forEach((row, i) => {
    let start = 0;
    for (let j = 1; j <= m; j++) {
      if (j === m || row[j] !== row[start]) {
        svg("rect", { x: (start * cw).toFixed(2), y: (S - (i + 1) * ch).toFixed(2),
          width: ((j - start) * cw + 0.5).toFixed(2), height: (ch + 0.5).toFixed(2),
          fill: PALETTE[row[start] % PALETTE.length] }, regions);
        start = j;
      }
    }
  });
  const dots = svg("g", {}, chart);
  points.x.forEach((px, k) => svg("circle", { cx: x(px).toFixed(1), cy: y(points.y[k]).toFixed(1),
    r: 2.6, fill: PALETTE[points.label[k] % PALETTE.length], stroke: "#222",
    "stroke-width": 0.5 }, dots));
  box.dataset.classes = boundary.classes.join("/");
}

// a small histogram with its summary numbers under it
function drawHistogram(box, histogram, color, what) {
  const W = 150, H = 60;
  const chart = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`,
    class: "gg-histogram" }, box);
  chart.dataset.what = what;
  if (!histogram || !histogram.counts.length) {
    label(chart, W / 2, H / 2, what === "grad" ? "no gradient yet" : "no finite value",
      "middle", 9);
    return;
  }
  chart.dataset.counts = histogram.counts.join(",");
  const top = Math.max(...histogram.counts, 1), w = W / histogram.counts.length;
  histogram.counts.forEach((c, i) => svg("rect", { x: (i * w).toFixed(2),
    y: (H - 12 - (H - 14) * c / top).toFixed(2), width: Math.max(w - 1, 0.5).toFixed(2),
    height: ((H - 14) * c / top).toFixed(2), fill: color }, chart));
  label(chart, 0, H - 2, format(histogram.min), "start", 8);
  label(chart, W, H - 2, format(histogram.max), "end", 8);
  const stats = html("div", "gg-stats", box,
    `${what === "grad" ? "grad" : "value"} mean ${format(histogram.mean)} std ` +
    `${format(histogram.std)}` + (histogram.nonfinite ? `, ${histogram.nonfinite} nan/inf` : ""));
  stats.dataset.what = what;
}

function drawLayers(box, layers) {
  box.replaceChildren();
  for (const layer of layers) {
    const panel = html("div", "gg-panel gg-layer", box);
    panel.dataset.name = layer.name;
    html("div", "gg-name", panel, `${layer.name} (${layer.shape.join(" x ")})`);
    drawHistogram(panel, layer.weight, "darkgreen", "weight");
    drawHistogram(panel, layer.grad, "#d62728", "grad");
  }
}

function render({ model, el }) {
  const style = html("style", "", el);
  style.textContent = STYLE;
  const root = html("div", "gg-live", el);
  root.dataset.updates = "0";
  const head = html("div", "gg-head", root);
  const title = html("span", "gg-title", head);
  const loss = html("span", "gg-loss", head, "loss -");
  const accuracy = html("span", "gg-accuracy", head);
  const epoch = html("span", "gg-epoch", head);
  const row = html("div", "gg-row", root);
  const lossBox = html("div", "gg-panel gg-curves", row);
  const accuracyBox = html("div", "gg-panel gg-curves", row);
  const boundaryBox = html("div", "gg-panel gg-boundary-box", row);
  const graph = html("div", "gg-panel gg-graph", root);
  const layers = html("div", "gg-layers", root);

  function drawSetup() {
    const setup = model.get("setup") || {};
    title.textContent = setup.title || "training";
    graph.replaceChildren();
    if (setup.graph) {
      html("div", "gg-name", graph, "the model's graph (layers collapsed)");
      const image = html("img", "", graph);
      image.alt = "the model's graph";
      image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(setup.graph);
    } else {
      graph.style.display = "none";
    }
    if (!setup.points) boundaryBox.style.display = "none";
  }

  function drawState() {
    const state = model.get("state");
    if (!state || !state.curves) return;
    const setup = model.get("setup") || {};
    const latest = state.latest || {};
    loss.textContent = `loss ${latest.loss ?? "-"}`;
    accuracy.textContent = latest.accuracy ? `accuracy ${latest.accuracy}` : "";
    epoch.textContent = latest.epoch ? `epoch ${latest.epoch}` : "";
    drawCurves(lossBox, state.curves, ["loss", "val_loss"], "loss");
    drawCurves(accuracyBox, state.curves, ["accuracy", "val_accuracy"], "accuracy");
    drawBoundary(boundaryBox, state.boundary, setup.points);
    drawLayers(layers, state.layers || []);
    root.dataset.updates = String(state.updates);
    root.dataset.loss = latest.loss ?? "";
    root.dataset.epoch = latest.epoch ?? "";
  }

  drawSetup();
  drawState();
  model.on("change:setup", drawSetup);
  model.on("change:state", drawState);
  return () => {
    model.off("change:setup", drawSetup);
    model.off("change:state", drawState);
  };
}

export default { render };
