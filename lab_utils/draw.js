// The drawing canvas of lab_utils.draw: an anywidget module (no build step, nothing fetched from the network).
// The page draws each stroke as the pen moves; when the pen lifts, the stroke's points go to Python, which
// rasterises them, prepares the digit with to_mnist and asks the model. Python sends back the 28 x 28 preview,
// the ten probabilities and a line of text, which this module shows.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function render({ model, el: root }) {
  const size = model.get("size");
  const box = el("div", "labdraw");
  const left = el("div", "labdraw-left");
  const right = el("div", "labdraw-right");

  const canvas = el("canvas", "labdraw-canvas");
  canvas.width = size;
  canvas.height = size;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", "Drawing area: draw one digit with the mouse, a pen or a finger");
  const ctx = canvas.getContext("2d");

  const buttons = el("div", "labdraw-buttons");
  const undo = el("button", "labdraw-button labdraw-undo", "Undo");
  const clear = el("button", "labdraw-button labdraw-clear", "Clear");
  for (const b of [undo, clear]) b.type = "button";
  undo.title = "Remove the last stroke";
  clear.title = "Remove every stroke";
  buttons.append(undo, clear);

  const status = el("div", "labdraw-status");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");

  const previewTitle = el("div", "labdraw-caption", "as MNIST sees it (28 x 28)");
  const preview = el("canvas", "labdraw-preview");
  preview.width = 28;
  preview.height = 28;
  preview.setAttribute("role", "img");
  preview.setAttribute("aria-label", "The drawing as the model sees it, 28 by 28 pixels");

  const chart = el("div", "labdraw-chart");
  chart.setAttribute("aria-hidden", "true"); // the status line says the same in words
  const bars = [];
  for (let digit = 0; digit < 10; digit++) {
    const column = el("div", "labdraw-column");
    const bar = el("div", "labdraw-bar");
    const label = el("div", "labdraw-digit", String(digit));
    column.append(el("div", "labdraw-track"), label);
    column.firstChild.append(bar);
    chart.append(column);
    bars.push(bar);
  }

  left.append(canvas, buttons);
  right.append(previewTitle, preview, chart);
  box.append(left, right);
  root.append(box, status);

  // --- drawing
  function paintStroke(points) {
    const pen = model.get("pen");
    ctx.strokeStyle = "#111";
    ctx.fillStyle = "#111";
    ctx.lineWidth = pen;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    if (points.length === 1) {
      ctx.beginPath();
      ctx.arc(points[0][0], points[0][1], pen / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(points[0][0], points[0][1]);
    for (const [x, y] of points.slice(1)) ctx.lineTo(x, y);
    ctx.stroke();
  }

  function repaint() {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, size, size);
    for (const stroke of model.get("strokes")) if (stroke.length) paintStroke(stroke);
  }

  let current = null;

  function point(event) {
    const rect = canvas.getBoundingClientRect();
    const x = ((event.clientX - rect.left) * size) / rect.width;
    const y = ((event.clientY - rect.top) * size) / rect.height;
    return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    current = [point(event)];
    paintStroke(current);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!current) return;
    event.preventDefault();
    current.push(point(event));
    paintStroke(current.slice(-2));
  });
  function finish(event) {
    if (!current) return;
    event.preventDefault();
    const stroke = current;
    current = null;
    model.set("strokes", [...model.get("strokes"), stroke]);
    model.save_changes();
  }
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);

  undo.addEventListener("click", () => {
    model.set("strokes", model.get("strokes").slice(0, -1));
    model.save_changes();
  });
  clear.addEventListener("click", () => {
    model.set("strokes", []);
    model.save_changes();
  });

  // --- what Python sends back
  function showPreview() {
    const pixels = model.get("preview");
    const image = preview.getContext("2d").createImageData(28, 28);
    for (let i = 0; i < 28 * 28; i++) {
      const v = pixels.length === 784 ? pixels[i] : 0;
      image.data.set([v, v, v, 255], 4 * i);
    }
    preview.getContext("2d").putImageData(image, 0, 0);
  }

  function showProbabilities() {
    const p = model.get("probabilities");
    const top = p.length === 10 ? p.indexOf(Math.max(...p)) : -1;
    chart.classList.toggle("labdraw-empty", p.length !== 10);
    bars.forEach((bar, digit) => {
      const value = p.length === 10 ? p[digit] : 0;
      bar.style.height = `${Math.round(100 * value)}%`;
      bar.classList.toggle("labdraw-top", digit === top);
      bar.parentNode.parentNode.title = `${digit}: ${(100 * value).toFixed(1)}%`;
    });
  }

  function showStatus() {
    status.textContent = model.get("status");
  }

  model.on("change:strokes", repaint);
  model.on("change:preview", showPreview);
  model.on("change:probabilities", showProbabilities);
  model.on("change:status", showStatus);
  repaint();
  showPreview();
  showProbabilities();
  showStatus();
}

export default { render };
