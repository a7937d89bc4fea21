// The backward-pass explorer, one ES module for both of its homes:
// - the self-contained page (explorer.html inlines it; it mounts on <body data-explorer>),
// - the live widget in Jupyter (anywidget imports it: `export default {render}`), where the
//   kernel replays the recorded graph when a leaf's value is edited or a step of gradient
//   descent is taken, and sends the new graph back.
// Every text goes in with textContent, so labels are shown, never run.
const NS = "http://www.w3.org/2000/svg";
const LINE = 17, PAD = 10, MARGIN = 30, CHAR = 7.2;
const MIN_SCALE = 0.7;  // a wide graph shrinks to fit, down to this (still readable); then it scrolls

const CONTROLS = [
  ["first", "\u00ab Start", "back to the forward pass (Home)"],
  ["back", "\u25C0 Back", "previous step (left arrow)"],
  ["play", "\u25B6 Play", "play or pause (space)"],
  ["next", "Next \u25B6", "next step (right arrow)"],
  ["last", "End \u00bb", "the last step (End)"],
];

function html(tag, content, cls) {
  const element = document.createElement(tag);
  if (content !== undefined && content !== null) element.textContent = content;
  if (cls) element.className = cls;
  return element;
}
function el(tag, attributes, parent) {
  const element = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (parent) parent.appendChild(element);
  return element;
}
function label(parent, x, y, content, cls) {
  const element = el("text", {x: x, y: y, class: cls || ""}, parent);
  element.textContent = content;
  return element;
}
function button(id, text, title) {
  const element = html("button", text);
  element.id = id;
  element.type = "button";
  if (title) element.title = title;
  return element;
}

// The skeleton every explorer shares (ids are looked up inside `root` only).
function skeleton(root, live) {
  root.classList.add("gg-explorer");
  const header = html("header");
  header.appendChild(html("h1", null)).id = "title";
  const legend = html("p", null, "legend");
  [["value", "value (data)"], ["gradient", "gradient (grad)"], ["active", "active node"]]
    .forEach(([kind, text]) => {
      legend.appendChild(html("span", null, "swatch " + kind));
      legend.appendChild(document.createTextNode(text));
    });
  legend.appendChild(html("span", "keys: \u2190 \u2192 step, space play or pause, Home End" +
                                  (live ? "; click an input's value to change it" : ""),
                          "keys"));
  header.appendChild(legend);
  const nav = html("nav", null, "controls");
  CONTROLS.forEach(([id, text, title]) => nav.appendChild(button(id, text, title)));
  nav.appendChild(html("span")).id = "counter";
  const mode = html("label", null, "mode");
  const box = html("input");
  box.type = "checkbox";
  box.id = "exercise";
  mode.append(box, document.createTextNode(" Exercise: I compute the gradients"));
  nav.appendChild(mode);
  nav.appendChild(html("span")).id = "score";
  const main = html("div", null, "main");
  const graph = html("div", null, "graph");
  graph.id = "graph";
  main.appendChild(graph);
  const parts = [header, nav];
  if (live) {
    const train = html("nav", null, "controls train");
    const rate = html("label", "learning rate ");
    const lr = html("input");
    lr.id = "lr";
    lr.setAttribute("autocomplete", "off");
    lr.setAttribute("inputmode", "decimal");
    rate.appendChild(lr);
    train.append(rate, button("descend", "Step of gradient descent",
                              "move every input that needs a gradient by \u2212lr \u00d7 grad"),
                 button("reset", "Reset values", "back to the values the graph was made with"));
    train.appendChild(html("span", null, "status")).id = "status";
    parts.push(train);
    const side = html("div", null, "history");
    side.id = "history";
    main.appendChild(side);
  }
  parts.push(main);
  const panel = html("section");
  panel.id = "panel";
  panel.setAttribute("aria-live", "polite");
  parts.push(panel);
  root.replaceChildren(...parts);
}

// Mount an explorer of graph `G` in `root`. `host.send(message)` (the widget) asks the kernel
// to edit a leaf ({kind: "edit", node, text}), take a gradient-descent step ({kind: "step",
// lr}) or reset ({kind: "reset"}); without it the page is static. `kept` is what an earlier
// view of the same graph left (step, mode, learning rate). Returns {keep, destroy, error}.
export function mount(root, G, host, kept) {
  const live = Boolean(host && host.send);
  skeleton(root, live);
  const $ = (id) => root.querySelector("#" + id);
  const STEPS = G.steps.length;
  const LAST = STEPS + (G.inputs.length ? 1 : 0);
  const byId = new Map(G.nodes.map((n) => [n.id, n]));
  const keyTarget = host && host.keys ? host.keys : document;

  // ---- the facts of the pass, indexed ------------------------------------------------------
  const sentOn = new Map();    // wire id -> {step, sent}: the step that sends a gradient down it
  const arrivals = new Map();  // node id -> [{step, sent}] in the order they arrive
  G.steps.forEach((st, i) => st.sent.forEach((sent) => {
    const record = {step: i + 1, sent: sent};
    sentOn.set(sent.wire, record);
    if (!arrivals.has(sent.to)) arrivals.set(sent.to, []);
    arrivals.get(sent.to).push(record);
  }));
  const inputOf = new Map(G.inputs.map((input) => [input.node, input]));

  // ---- the exercise: one item per gradient, in the order the pass computes them -----------
  const items = [];
  G.steps.forEach((st, i) => {
    if (st.fanIn > 1) {
      items.push({key: "u" + st.node, step: i + 1, answer: st.upstream,
                  typed: st.typedUpstream, rule: st.upstreamRule, product: st.sum,
                  label: "the gradient of " + st.name + ", the sum of the " + st.fanIn +
                         " gradients it received"});
    }
    st.sent.forEach((sent) => items.push({
      key: "w" + sent.wire, step: i + 1, answer: sent.grad, typed: sent.typed,
      rule: sent.rule, product: sent.product,
      label: "the gradient " + st.name + " sends down to " + sent.name}));
  });
  G.inputs.forEach((input) => {
    if (input.count > 1) {
      items.push({key: "i" + input.node, step: LAST, answer: input.grad, typed: input.typed,
                  rule: input.rule, product: input.sum,
                  label: input.name + ".grad, the sum of the " + input.count +
                         " gradients it received"});
    }
  });
  const itemOf = new Map(items.map((item) => [item.key, item]));

  const state = {step: 0, timer: null, exercise: false, status: {}, message: null,
                 editing: null};

  function done(key) {  // shown: not in exercise mode, not asked, answered or revealed
    return !state.exercise || !itemOf.has(key) || key in state.status;
  }
  function pending(step) {
    return items.filter((item) => item.step === step && !done(item.key));
  }
  function sumKey(id) {
    return (inputOf.has(id) && !G.steps.some((st) => st.node === id) ? "i" : "u") + id;
  }

  // ---- drawing -------------------------------------------------------------------------------
  const width = G.width + 2 * MARGIN, height = G.height + 2 * MARGIN;
  const svg = el("svg", {viewBox: "0 0 " + width + " " + height, width: width, height: height,
                         role: "img", "aria-label": "the computation graph"});
  const defs = el("defs", {}, svg);
  const arrow = "gg-arrow-" + Math.random().toString(36).slice(2);  // one per explorer shown
  const marker = el("marker", {id: arrow, viewBox: "0 0 10 10", refX: "10", refY: "5",
                               markerWidth: "9", markerHeight: "9", orient: "auto",
                               markerUnits: "userSpaceOnUse"}, defs);
  el("path", {d: "M 0 0 L 10 5 L 0 10 z", fill: "#777"}, marker);
  const wireLayer = el("g", {}, svg);
  const nodeLayer = el("g", {}, svg);
  const drawn = {nodes: new Map(), wires: new Map()};

  G.nodes.forEach((n) => {
    const g = el("g", {class: "node " + n.kind, "data-node": n.id,
                       transform: "translate(" + (n.x + MARGIN) + "," + (n.y + MARGIN) + ")"},
                 nodeLayer);
    el("rect", {class: "box", width: n.w, height: n.h, rx: 4}, g);
    if (n.kind === "constant") {
      label(g, PAD, LINE - 2, n.name, "constant");
      drawn.nodes.set(n.id, {g: g});
      return;
    }
    let y = LINE;
    label(g, PAD, y, n.name, "name");
    if (n.op) {
      const badge = n.op.length * CHAR + 8;
      el("rect", {class: "badge", x: n.w - PAD - badge + 4, y: y - 13, width: badge,
                  height: 17, rx: 3}, g);
      label(g, n.w - PAD, y, n.op, "op").setAttribute("text-anchor", "end");
    }
    if (n.shape) {
      y += LINE;
      label(g, PAD, y, "(" + n.shape.join(", ") + (n.shape.length === 1 ? ",)" : ")") + " " +
            n.dtype, "shape");
    }
    const data = n.data.rows.map((row, i) => {
      y += LINE;
      return label(g, PAD, y, (i ? "     " : "data ") + row, "data");
    });
    g.dataset.data = JSON.stringify(n.data.values);
    if (live && n.editable) {
      g.classList.add("editable");
      data.forEach((text) => {
        text.addEventListener("click", () => startEdit(n));
        const title = el("title", {}, text);
        title.textContent = "click to change " + n.name + "'s value";
      });
    }
    const grads = (n.grad ? n.grad.rows : n.data.rows).map(() => {
      y += LINE;
      return label(g, PAD, y, "", "grad");
    });
    let note = null;
    if (n.uses > 1) {
      y += LINE;
      note = label(g, PAD, y, "", "note");
    }
    drawn.nodes.set(n.id, {g: g, grads: grads, note: note, data: data});
  });

  G.wires.forEach((w) => {
    const a = byId.get(w.from), b = byId.get(w.to);
    const slots = G.wires.filter((other) => other.to === w.to).length;
    const x1 = a.x + a.w + MARGIN, y1 = a.y + a.h / 2 + MARGIN;
    const x2 = b.x + MARGIN, y2 = b.y + b.h * (w.slot + 1) / (slots + 1) + MARGIN;
    const middle = (x1 + x2) / 2;
    const g = el("g", {class: "wire", "data-wire": w.id}, wireLayer);
    el("path", {d: "M" + x1 + "," + y1 + " C" + middle + "," + y1 + " " + middle + "," + y2 +
                   " " + (x2 - 1) + "," + y2, "marker-end": "url(#" + arrow + ")"}, g);
    // the numbers sit half-way; wires joining the same two nodes (x * x) spread them out
    const twins = G.wires.filter((o) => o.from === w.from && o.to === w.to);
    const t = twins.length > 1 ? 0.3 + 0.4 * twins.indexOf(w) / (twins.length - 1) : 0.5;
    const u = 1 - t;
    const lx = u * u * u * x1 + 3 * u * t * middle + t * t * t * x2;
    const ly = (u * u * u + 3 * u * u * t) * y1 + (3 * u * t * t + t * t * t) * y2;
    label(g, lx, ly - 4, w.value.text, "value").setAttribute("text-anchor", "middle");
    const gradient = label(g, lx, ly + 11, "", "gradient");
    gradient.setAttribute("text-anchor", "middle");
    drawn.wires.set(w.id, {g: g, gradient: gradient});
  });
  $("graph").appendChild(svg);
  $("title").textContent = G.title;

  // a wide graph shrinks to the width it has (never below MIN_SCALE, then it scrolls), so the
  // inputs' names on the left stay in view
  function fit() {
    const room = $("graph").clientWidth;
    const scale = room > 0 ? Math.max(MIN_SCALE, Math.min(1, (room - 2) / width)) : 1;
    if ($("graph").dataset.scale === scale.toFixed(3)) return;  // (no resize loop)
    svg.setAttribute("width", Math.round(width * scale));
    svg.setAttribute("height", Math.round(height * scale));
    $("graph").dataset.scale = scale.toFixed(3);
  }
  fit();
  const resize = typeof ResizeObserver === "function" ? new ResizeObserver(fit) : null;
  if (resize) resize.observe($("graph"));

  // ---- the loss's history (widget) -----------------------------------------------------------
  function drawHistory() {
    const box = $("history");
    if (!box) return;
    const values = G.history || [];
    box.replaceChildren(html("div", "history of " + G.rootName, "caption"));
    const now = html("div", values.length ? G.rootName + " = " +
                     Number(values[values.length - 1]).toPrecision(6) : "", "current");
    now.id = "current";
    box.appendChild(now);
    const W = 240, H = 150, L = 54, B = 20;
    const plot = el("svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H,
                            class: "plot", role: "img",
                            "aria-label": "the history of " + G.rootName}, box);
    plot.dataset.values = JSON.stringify(values);
    const finite = values.filter((v) => v !== null && Number.isFinite(v));
    el("line", {x1: L, y1: H - B, x2: W - 4, y2: H - B, class: "axis"}, plot);
    el("line", {x1: L, y1: 6, x2: L, y2: H - B, class: "axis"}, plot);
    if (!finite.length) return;
    let lo = Math.min(...finite), hi = Math.max(...finite);
    if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
    const x = (i) => L + (values.length > 1 ? i * (W - 8 - L) / (values.length - 1) : 0);
    const y = (v) => H - B - (v - lo) / (hi - lo) * (H - B - 10);
    label(plot, L - 4, y(hi) + 4, Number(hi.toPrecision(3)).toString(), "tick")
      .setAttribute("text-anchor", "end");
    label(plot, L - 4, y(lo) + 4, Number(lo.toPrecision(3)).toString(), "tick")
      .setAttribute("text-anchor", "end");
    label(plot, W - 6, H - 5, "steps: " + (values.length - 1), "tick")
      .setAttribute("text-anchor", "end");
    const points = values.map((v, i) => v === null || !Number.isFinite(v) ? null :
                              x(i).toFixed(1) + "," + y(v).toFixed(1)).filter((p) => p);
    el("polyline", {points: points.join(" "), class: "line"}, plot);
    values.forEach((v, i) => {
      if (v !== null && Number.isFinite(v)) el("circle", {cx: x(i), cy: y(v), r: 2.5}, plot);
    });
  }

  // ---- what is shown at the current step ---------------------------------------------------
  function gradView(id) {  // the rows of a node's gradient as far as the pass has got
    const all = arrivals.get(id) || [];
    const arrived = all.filter((a) => a.step <= state.step);
    const count = all.length > 1 ? arrived.length + " of " + all.length : "";
    if (id === G.root) {
      return state.step >= 1 ? {rows: G.seed.rows, values: G.seed.values, note: ""} :
        {rows: null, note: ""};
    }
    if (!arrived.length) return {rows: null, note: count && count + " arrived"};
    if (arrived.some((a) => !done("w" + a.sent.wire))) return {rows: ["?"], note: count};
    if (all.length < 2) {
      return {rows: arrived[0].sent.total.rows, values: arrived[0].sent.total.values,
              note: ""};
    }
    if (!done(sumKey(id))) return {rows: ["?"], note: count + " arrived"};
    const complete = arrived.length === all.length;
    const last = arrived[arrived.length - 1].sent.total;
    return {rows: last.rows, values: last.values,
            note: complete ? "sum of " + all.length + " gradients" : count + " so far"};
  }

  function render() {
    const k = state.step;
    const active = k >= 1 && k <= STEPS ? G.steps[k - 1] : null;
    root.dataset.step = k;
    root.dataset.mode = state.exercise ? "exercise" : "watch";
    G.nodes.forEach((n) => {
      const shown = drawn.nodes.get(n.id);
      const isActive = active ? active.node === n.id : (k === LAST && k > STEPS &&
                                                       inputOf.has(n.id));
      shown.g.classList.toggle("active", Boolean(isActive));
      if (!shown.grads) return;
      const view = gradView(n.id);
      const rows = view.rows || ["\u2013"];
      shown.grads.forEach((line, i) => {
        line.textContent = i < rows.length ? (i ? "     " : "grad ") + rows[i] : "";
        line.classList.toggle("pending", !view.rows || view.rows[0] === "?");
      });
      if (view.values && view.rows[0] !== "?") shown.g.dataset.grad = JSON.stringify(view.values);
      else delete shown.g.dataset.grad;
      if (shown.note) shown.note.textContent = view.note;
    });
    G.wires.forEach((w) => {
      const shown = drawn.wires.get(w.id), record = sentOn.get(w.id);
      const sent = record && record.step <= k;
      const visible = sent && done("w" + w.id);
      shown.g.classList.toggle("sent", Boolean(sent));
      shown.g.classList.toggle("active", Boolean(record && record.step === k));
      shown.gradient.textContent = sent ? (visible ? record.sent.wireText : "?") : "";
    });
    $("counter").textContent = k === 0 ? "forward pass" : "step " + k + " of " + LAST;
    $("first").disabled = $("back").disabled = k === 0;
    $("next").disabled = $("last").disabled = k === LAST;
    $("play").textContent = state.timer ? "\u23F8 Pause" : "\u25B6 Play";
    renderScore();
    renderPanel(active);
    const focus = active ? drawn.nodes.get(active.node).g : null;
    if (focus && focus.scrollIntoView && $("graph").scrollWidth > $("graph").clientWidth) {
      focus.scrollIntoView({block: "nearest", inline: "nearest"});
    }
  }

  function renderScore() {
    if (!state.exercise) { $("score").textContent = ""; return; }
    const asked = items.filter((item) => item.typed);
    const count = (kind) => asked.filter((item) => state.status[item.key] === kind).length;
    const close = count("close");
    $("score").textContent = count("right") + " right, " + (close ? close + " close, " : "") +
      count("revealed") + " revealed, of " + asked.length;
  }

  function row(table, cells, cls) {  // a cell's text may be a list of lines (matrix rows)
    const tr = document.createElement("tr");
    if (cls) tr.className = cls;
    cells.forEach((cell) => {
      const td = html(cell.head ? "th" : "td", null, cell.cls);
      lines(td, cell.text);
      tr.appendChild(td);
    });
    table.appendChild(tr);
    return tr;
  }

  function lines(parent, content) {
    if (!Array.isArray(content)) { parent.textContent = content; return parent; }
    content.forEach((line) => parent.appendChild(html("div", line)));
    return parent;
  }
  function shownNumber(number, arithmetic) {  // a Scalar's arithmetic, a Tensor's rows
    return G.kind === "Scalar" && arithmetic ? arithmetic : number.rows;
  }

  function renderPanel(active) {
    const panel = $("panel");
    panel.replaceChildren();
    const k = state.step;
    const question = state.exercise ? pending(k).find((item) => item.typed) : null;
    if (k === 0) {
      panel.dataset.active = "forward";
      panel.appendChild(html("h2", "The forward pass is done"));
      panel.appendChild(html("p", "Every value is computed (green). The backward pass starts " +
        "at " + G.rootName + ", whose gradient with respect to itself is 1, and visits each " +
        "node once all the nodes that use it have sent it their gradients. Press Next " +
        "(\u2192) or Play." + (live ? " Click an input's value to change it: the kernel " +
        "recomputes the forward and the backward pass of this graph." : "")));
    } else if (active) {
      renderStep(panel, active, question);
    } else {
      renderInputs(panel, question);
    }
    if (question) {
      const box = html("div", null, "answer");
      box.dataset.key = question.key;
      const prompt = html("label", "Type " + question.label + ": ");
      const input = html("input");
      input.id = "answer";
      input.setAttribute("autocomplete", "off");
      input.setAttribute("placeholder", question.answer.values.length > 1 ?
        question.answer.values.length + " numbers, e.g. 1, -2" : "a number");
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") { event.preventDefault(); check(input.value); }
      });
      prompt.appendChild(input);
      box.appendChild(prompt);
      const checkButton = button("check", "Check");
      checkButton.addEventListener("click", () => check(input.value));
      const revealButton = button("reveal", "Reveal");
      revealButton.addEventListener("click", reveal);
      box.append(checkButton, revealButton);
      panel.appendChild(box);
    }
    const feedback = html("div", state.message ? state.message.text : "",
                          state.message ? state.message.kind : "");
    feedback.id = "feedback";
    panel.appendChild(feedback);
    if (question && document.activeElement !== $("exercise")) {
      $("answer").focus({preventScroll: true});
    }
  }

  function renderStep(panel, st, question) {
    const k = state.step;
    panel.dataset.active = String(st.node);
    panel.appendChild(html("h2", "Step " + k + " of " + LAST + ": " + st.name + " (" + st.op +
                               ")"));
    const up = html("div", null, "upstream");
    up.appendChild(html("span", "Gradient arriving from above (upstream): "));
    const value = html("span", null, "num gradtext");
    value.id = "upstream";
    if (k === 1) {
      lines(value, G.seed.rows);
      up.appendChild(value);
      up.appendChild(html("span", " the output's gradient with respect to itself (d" +
                                  st.name + "/d" + st.name + ")", "note"));
    } else if (st.fanIn > 1 && !done("u" + st.node)) {
      value.textContent = "?";
      up.appendChild(value);
      up.appendChild(html("span", " the sum of the " + st.fanIn + " gradients it received",
                          "note"));
    } else if (st.fanIn > 1) {
      lines(value, shownNumber(st.upstream, st.sum));
      up.appendChild(value);
      up.appendChild(html("span", " fan-out: the " + st.fanIn + " gradients it received " +
                                  "add up", "note"));
    } else {
      lines(value, st.upstream.rows);
      up.appendChild(value);
    }
    if (done("u" + st.node)) value.dataset.values = JSON.stringify(st.upstream.values);
    panel.appendChild(up);

    // an elementwise op multiplies by a local gradient per element; any other op's rule is
    // shown as what it computes (upstream @ Wᵀ), with no "local gradient" column
    const table = html("table");
    const fanOut = st.sent.some((sent) => (arrivals.get(sent.to) || []).length > 1);
    const summed = st.sent.some((sent) => sent.details.length && sent.formula.startsWith("sum"));
    const head = st.elementwise ?
      [{text: "input", head: true}, {text: "local gradient", head: true},
       {text: "gradient sent down (upstream \u00d7 local" + (summed ? ", summed where " +
                "the input was broadcast)" : ")"), head: true}] :
      [{text: "input", head: true}, {text: "what the rule computes", head: true},
       {text: "gradient sent down", head: true}];
    row(table, head.concat(fanOut ? [{text: "its gradient so far (fan-out adds)", head: true}] :
                           []));
    st.sent.forEach((sent) => {
      const shown = done("w" + sent.wire);
      const all = arrivals.get(sent.to) || [];
      const cells = [{text: sent.name},
                     st.elementwise ? {text: shown ? sent.local.rows : "?", cls: "num"} :
                       {text: sent.formula, cls: "formula"},
                     {text: shown ? shownNumber(sent.grad, sent.arithmetic) : "?",
                      cls: "num gradtext"}];
      if (fanOut) {
        cells.push({text: all.length < 2 ? "" : !shown || !done(sumKey(sent.to)) ? "? (" +
                      sent.arrived + " of " + all.length + ")" :
                      [sent.arrived + " of " + all.length + ":"].concat(sent.total.rows),
                    cls: "num"});
      }
      const tr = row(table, cells, "sent");
      tr.dataset.wire = sent.wire;
      tr.dataset.to = sent.to;
      if (shown) {
        tr.dataset.grad = JSON.stringify(sent.grad.values);
        if (sent.local) tr.dataset.local = JSON.stringify(sent.local.values);
      }
      if (question && question.key === "w" + sent.wire) tr.classList.add("asked");
    });
    if (!st.sent.length) row(table, [{text: "(no input needs a gradient)"}]);
    panel.appendChild(table);
    if (state.exercise && items.some((item) => item.step === k && !item.typed)) {
      panel.appendChild(html("p", "Gradients of more than " + G.typedSize + " numbers (or with " +
                                  "nan or inf) are shown, not asked.", "note"));
    }
    if (!state.exercise) {
      const rules = html("ul", null, "rule");
      const seen = new Set();
      st.sent.forEach((sent) => {
        if (!seen.has(sent.rule)) rules.appendChild(html("li", sent.rule));
        seen.add(sent.rule);
        if (sent.shapes) rules.appendChild(html("li", sent.shapes, "shapes"));
      });
      if (st.fanIn > 1) rules.appendChild(html("li", st.upstreamRule));
      panel.appendChild(rules);
      st.sent.filter((sent) => sent.details.length).forEach((sent) => {
        const details = html("div", null, "details");
        details.dataset.to = sent.to;
        details.appendChild(html("div", "How " + sent.name + "'s gradient is computed:",
                                 "caption"));
        const facts = html("table");
        sent.details.forEach((fact) => {
          const tr = row(facts, [{text: fact.label, head: true},
                                 {text: fact.value.rows, cls: "num"}], "fact");
          tr.dataset.label = fact.label;
          if (fact.value.values) tr.dataset.values = JSON.stringify(fact.value.values);
        });
        details.appendChild(facts);
        panel.appendChild(details);
      });
    }
  }

  function renderInputs(panel, question) {
    panel.dataset.active = "inputs";
    panel.appendChild(html("h2", "Step " + state.step + " of " + LAST +
                               ": every input's gradient (.grad)"));
    const table = html("table");
    row(table, [{text: "input", head: true}, {text: "gradients received", head: true},
                {text: ".grad", head: true}]);
    G.inputs.forEach((input) => {
      const key = "i" + input.node;
      const shown = done(key);
      const tr = row(table, [
        {text: input.name}, {text: String(input.count), cls: "num"},
        {text: shown ? shownNumber(input.grad, input.sum) : "?", cls: "num gradtext"}],
                    "input");
      tr.dataset.node = input.node;
      if (shown) tr.dataset.grad = JSON.stringify(input.grad.values);
      if (question && question.key === key) tr.classList.add("asked");
    });
    panel.appendChild(table);
    panel.appendChild(html("p", "These are the numbers backward() leaves in each input's " +
      ".grad; an input used several times receives the sum of its gradients (fan-out adds).",
      "note"));
  }

  // ---- answers -------------------------------------------------------------------------------
  function parse(text) {
    const parts = text.split(/[\s,;()[\]]+/).filter((part) => part.length);
    const numbers = parts.map(Number);
    return parts.length && numbers.every((x) => Number.isFinite(x)) ? numbers : null;
  }
  function within(typed, truth, relative, absolute) {
    return Math.abs(typed - truth) <= relative * Math.abs(truth) + absolute;
  }
  function check(text) {
    const item = pending(state.step).find((candidate) => candidate.typed);
    if (!item) return;
    const truth = item.answer.values;
    const typed = parse(text);
    if (!typed || typed.length !== truth.length) {
      state.message = {kind: "wrong", text: "Type " + (truth.length === 1 ? "one number" :
        truth.length + " numbers (in order, row by row)") + " for " + item.label + "."};
    } else if (typed.every((x, i) => within(x, truth[i], 5e-4, 1e-9))) {
      state.status[item.key] = "right";
      state.message = {kind: "right", text: "\u2713 Right: " + item.product + ". " +
                                            item.rule + "."};
    } else if (typed.every((x, i) => within(x, truth[i], 1e-2, 1e-9))) {
      state.status[item.key] = "close";  // within 1%: accepted, with the exact value
      state.message = {kind: "close", text: "\u2248 close: the exact value is " +
                       item.answer.text + ". " + item.product + ". " + item.rule + "."};
    } else {
      state.message = {kind: "wrong", text: "\u2717 " + text.trim() + " is not " + item.label +
        ". The rule: " + item.rule + ". Try again, or reveal it."};
    }
    render();
  }
  function reveal() {
    const item = pending(state.step).find((candidate) => candidate.typed);
    if (!item) return;
    state.status[item.key] = "revealed";
    state.message = {kind: "revealed", text: "Revealed: " + item.product + ". " + item.rule +
                                             "."};
    render();
  }

  // ---- editing a leaf (widget) -----------------------------------------------------------------
  function startEdit(n) {
    if (!live) return;
    stop();
    const shown = drawn.nodes.get(n.id);
    const area = $("graph").getBoundingClientRect();
    const box = shown.data[0].getBoundingClientRect();
    const input = html("input", null, "edit");
    input.id = "edit";
    input.dataset.node = n.id;
    input.value = n.data.values.map((v) => String(v)).join(", ");
    input.setAttribute("autocomplete", "off");
    input.setAttribute("aria-label", "new value of " + n.name);
    let closed = false;  // removing a focused field blurs it: close once
    const close = () => { if (!closed) { closed = true; input.remove(); } };
    input.style.left = (box.left - area.left + $("graph").scrollLeft) + "px";
    input.style.top = (box.top - area.top + $("graph").scrollTop - 3) + "px";
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        status("recomputing\u2026", "busy");
        host.send({kind: "edit", node: n.id, text: input.value});
        close();
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", close);
    if (state.editing) state.editing();  // one field at a time
    state.editing = close;
    $("graph").appendChild(input);
    input.focus();
    input.select();
  }
  function status(text, kind) {
    const line = $("status");
    if (!line) return;
    line.textContent = text;
    line.className = "status " + (kind || "");
  }

  // ---- stepping -------------------------------------------------------------------------------
  function go(step) {
    state.step = Math.max(0, Math.min(LAST, step));
    state.message = null;
    render();
  }
  function next() {
    if (state.step >= LAST) return false;
    if (state.exercise && pending(state.step).length) {
      state.message = {kind: "wrong", text: "Answer the gradient asked above (or reveal it) " +
                                            "before the next step."};
      render();
      return false;
    }
    go(state.step + 1);
    return true;
  }
  function stop() {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
  }
  function play() {
    if (state.timer) { stop(); render(); return; }
    if (state.step >= LAST) go(0);
    state.timer = setInterval(() => { if (!next() || state.step >= LAST) { stop(); render(); } },
                              1200);
    render();
  }
  function setExercise(on) {
    stop();
    state.exercise = on;
    state.status = {};
    items.forEach((item) => { if (!item.typed) state.status[item.key] = "shown"; });
    $("exercise").checked = on;
    go(0);
  }

  $("first").addEventListener("click", () => { stop(); go(0); });
  $("back").addEventListener("click", () => { stop(); go(state.step - 1); });
  $("next").addEventListener("click", () => { stop(); next(); });
  $("last").addEventListener("click", () => {
    stop();
    if (!state.exercise) { go(LAST); return; }
    while (next()) { /* stops at the first gradient still to answer */ }
  });
  $("play").addEventListener("click", play);
  $("exercise").addEventListener("change", (event) => setExercise(event.target.checked));
  if (live) {
    $("lr").value = kept && kept.lr !== undefined ? kept.lr : String(G.lr);
    const descend = () => {
      status("recomputing\u2026", "busy");
      host.send({kind: "step", lr: $("lr").value});
    };
    $("descend").addEventListener("click", descend);
    $("lr").addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); descend(); }
    });
    $("reset").addEventListener("click", () => host.send({kind: "reset"}));
    drawHistory();
  }

  function onKey(event) {
    const target = event.target;
    // typing goes to the text field; Space and Enter press a focused button or checkbox
    if (target instanceof HTMLInputElement && target.type !== "checkbox" ||
        target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return;
    if ((event.key === " " || event.key === "Enter") &&
        (target instanceof HTMLButtonElement || target instanceof HTMLInputElement)) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const actions = {ArrowRight: () => { stop(); next(); },
                     ArrowLeft: () => { stop(); go(state.step - 1); },
                     " ": play, Home: () => { stop(); go(0); }, End: () => $("last").click()};
    if (actions[event.key]) {
      event.preventDefault();
      event.stopPropagation();
      actions[event.key]();
    }
  }
  keyTarget.addEventListener("keydown", onKey);
  setExercise(Boolean(kept ? kept.exercise : G.exercise));
  if (kept && !kept.exercise) go(Math.min(kept.step, LAST));
  if (G.message) status(G.message, "");

  return {
    keep() {
      return {step: state.step, exercise: state.exercise, lr: live ? $("lr").value : undefined};
    },
    destroy() {
      stop();
      keyTarget.removeEventListener("keydown", onKey);
      if (resize) resize.disconnect();
    },
    error(text) { status(text, "error"); },
  };
}

// The widget (anywidget): the graph lives in the model's `graph`; edits go to the kernel as
// messages, which answers with a new graph or an error message.
function render({model, el}) {
  el.setAttribute("data-lm-suppress-shortcuts", "true");  // JupyterLab's keys stay out
  el.tabIndex = 0;
  // a view restored from a saved notebook has no kernel behind it: say so if none answers
  let waiting = null;
  const host = {keys: el, send: (message) => {
    clearTimeout(waiting);
    waiting = setTimeout(() => view.error("The kernel did not answer: run the cell again to " +
                                          "change the values."), 8000);
    try { model.send(message); } catch (error) { /* the timeout says it */ }
  }};
  let view = mount(el, model.get("graph"), host);
  const redraw = () => {
    clearTimeout(waiting);
    const kept = view.keep();
    view.destroy();
    view = mount(el, model.get("graph"), host, kept);
  };
  const answer = (message) => {
    clearTimeout(waiting);
    if (message && message.kind === "error") view.error(message.text);
  };
  model.on("change:graph", redraw);
  model.on("msg:custom", answer);
  return () => {
    clearTimeout(waiting);
    model.off("change:graph", redraw);
    model.off("msg:custom", answer);
    view.destroy();
  };
}

export default {render};

// The self-contained page: its graph is the JSON in the page.
if (typeof document !== "undefined" && document.body &&
    document.body.dataset.explorer === "page") {
  const data = document.getElementById("graph-data");
  mount(document.body, JSON.parse(data.textContent), null);
}
