"""The drawing canvas in a real browser: JupyterLab 4 (and Jupyter Notebook 7 where installed) headless on a local
port, Debian's Chromium driven by Playwright, and a model whose answer is certain (so that the test tests the canvas,
not a training run); mouse strokes draw a 1, Clear (from the keyboard) empties the canvas, then a 0 is drawn, a
stroke through its middle makes it a 1 and Undo (from the keyboard) takes that stroke back. The test reads the
prediction the page shows and the array Python receives. The JupyterLab run takes a screenshot: into the test's
temporary folder, or where LAB_SCREENSHOT names (README's: LAB_SCREENSHOT=docs/draw.png)."""

import importlib.util
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no Chromium on this machine (apt-get install chromium): the browser test of the drawing canvas "
                "skips", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="no Playwright (pip install playwright): the browser "
                                                             "test of the drawing canvas skips")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

CELLS = [
    # A model with fixed weights whose answer is certain: the logit of 1 is the ink in the middle of the 28 x 28
    # digit (a 1's stroke runs through it), that of 0 a constant 2 (a 0's loop leaves the middle empty), and no other
    # digit can win. A 1 drawn as below has about 16 pixels of ink there, a 0 about 0.1.
    "from lab_utils.draw import draw\n"
    "import numpy as np\n"
    "import keras\n"
    "middle = np.zeros((28, 28, 10), np.float32)\n"
    "middle[10:18, 11:17, 1] = 1\n"
    "model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])\n"
    "model.set_weights([middle.reshape(784, 10), np.array([2, 0] + [-100] * 8, np.float32)])\n"
    "canvas = draw(model)",
    "print('ARRAY', canvas.array.shape, canvas.array.dtype, int(canvas.array.sum()), "
    "int(canvas.probabilities_array.argmax()), int((canvas.array > 128).sum()))",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# front end: (the module that starts its server, the notebook's path in its URLs)
FRONT_ENDS = {"jupyterlab": ("jupyterlab", "lab/tree"), "notebook7": ("notebook", "notebooks")}


@pytest.fixture(params=list(FRONT_ENDS))
def front_end(request, tmp_path):
    """A JupyterLab 4 or Notebook 7 server on a free local port, serving a notebook of CELLS; yields its name and
    the notebook's URL."""
    module, route = FRONT_ENDS[request.param]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed: the drawing canvas is not tried in it")
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
                          for c in CELLS],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "draw_test.ipynb").write_text(json.dumps(notebook))
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "LAB_OFFLINE": "1", "LAB_DATA_SOURCE": "embedded", "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", module, "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}", "--ServerApp.open_browser=False"]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "server.log", "w"))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        else:
            pytest.fail(f"{module} did not start: {(tmp_path / 'server.log').read_text()[-2000:]}")
        yield request.param, f"{base}/{route}/draw_test.ipynb?token={token}", f"{base}/api/sessions?token={token}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def stroke(page, points):
    """Press the mouse at the first point, move through the others, release."""
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=2)
    page.mouse.up()


def wait_for_idle_kernel(sessions, timeout=120):
    """Wait until the page's kernel has started and is idle (a cell run before that can be lost)."""
    for _ in range(2 * timeout):
        running = json.load(urllib.request.urlopen(sessions, timeout=5))
        if running and running[0]["kernel"]["execution_state"] == "idle":
            return
        time.sleep(0.5)
    pytest.fail(f"the notebook's kernel did not become idle within {timeout} s: {running}")


def run_cell(page, index):
    """Run the notebook's cell ``index`` with Shift+Enter, as a student would."""
    page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")


@pytest.mark.slow
def test_drawing_clearing_and_undoing_show_the_prediction_and_reach_python(front_end, tmp_path):
    name, url, sessions = front_end
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.goto(url)
        page.wait_for_selector(".jp-Notebook .jp-Cell .jp-InputArea-editor", timeout=60_000)
        wait_for_idle_kernel(sessions)
        run_cell(page, 0)
        canvas = page.locator(".labdraw-canvas")
        try:
            canvas.wait_for(timeout=300_000)  # the kernel starts and loads Keras first
        except sync_api.TimeoutError:
            page.screenshot(path=Path(os.environ.get("TMPDIR", "/tmp")) / f"draw_{name}_failure.png")
            pytest.fail(f"no canvas in {name}; the first cell shows: "
                        f"{page.locator('.jp-Notebook .jp-Cell').nth(0).text_content()[-1500:]}")
        status = page.locator(".labdraw-status")
        box = canvas.bounding_box()

        def at(x, y):  # canvas pixels (280 x 280) to page coordinates
            return box["x"] + x * box["width"] / 280, box["y"] + y * box["height"] / 280

        def wait_for_status(start):
            page.wait_for_function(f"() => document.querySelector('.labdraw-status').textContent.startsWith('{start}')",
                                   timeout=30_000)

        one = [at(140, 40 + 20 * i) for i in range(11)]  # a vertical line: a 1
        stroke(page, one)
        wait_for_status("Prediction")
        assert status.text_content().startswith("Prediction: 1 ("), status.text_content()

        run_cell(page, 1)  # the array Python received
        output = page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".jp-OutputArea-output")
        output.wait_for(timeout=30_000)
        words = output.text_content().split()
        assert words[:3] == ["ARRAY", "(28,", "28)"] and words[3] == "uint8" and words[5] == "1", words
        assert int(words[4]) > 0

        page.locator(".labdraw-clear").focus()  # the Clear button, from the keyboard
        page.keyboard.press("Enter")
        wait_for_status("Draw")

        angles = np.linspace(0, 2 * np.pi, 41)
        stroke(page, [at(140 + 60 * np.sin(a), 140 - 95 * np.cos(a)) for a in angles])  # a loop: a 0
        wait_for_status("Prediction")
        zero = status.text_content()
        assert zero.startswith("Prediction: 0 ("), zero

        stroke(page, one)  # through the 0's middle: a 1 to this model
        wait_for_status("Prediction: 1 (")
        page.locator(".labdraw-undo").focus()  # the Undo button, from the keyboard
        page.keyboard.press("Enter")
        wait_for_status("Prediction: 0 (")
        assert status.text_content() == zero  # the 0 alone again, as before the stroke
        if name == "jupyterlab":
            screenshot = Path(os.environ.get("LAB_SCREENSHOT", tmp_path / "draw.png"))
            page.locator(".jp-Notebook .jp-Cell").nth(0).locator(".jp-OutputArea").screenshot(path=screenshot)
            assert screenshot.stat().st_size > 0
        browser.close()
