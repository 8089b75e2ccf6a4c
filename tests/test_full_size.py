"""Online, load_mnist() serves all 60,000 training digits; on a CPU each lab then trains on at most its
CPU_TRAIN_IMAGES (TRAIN_IMAGES = "auto") and says so. Fashion-MNIST's IDX files, from Debian's package
dataset-fashion-mnist, stand in for the full MNIST: the same file names, shapes and sizes.

Every capped lab applies the cap the same way, with its own parameters (read from its cells); one of them, run at
full size with the quick settings of the rerun test (the point is the cap, not the training), shows what that does.
"""

import re
from pathlib import Path

import pytest

from notebooks import SOLUTIONS, execute, load, parameters
from test_notebooks import QUICK

FASHION = Path("/usr/share/datasets/fashion-mnist")
CAPPED = [p for p in SOLUTIONS if "TRAIN_IMAGES" in parameters(p)]
# The capped lab run at full size: the quickest to reach its training.
RUN_AT_FULL_SIZE = [p for p in CAPPED if p.name == "02_mlp.ipynb"]

HAS_FULL_SIZE = pytest.mark.skipif(not (FASHION / "train-images-idx3-ubyte.gz").exists(),
                                   reason=f"no full-size IDX files at {FASHION} (apt install dataset-fashion-mnist)")


@pytest.fixture(scope="module")
def full_size_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("full-size")
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (folder / name).symlink_to(FASHION / name)
    return folder


def test_every_lab_that_trains_on_mnist_has_the_cap():
    assert [p.name for p in CAPPED] == [p.name for p in SOLUTIONS if p.name != "00_setup.ipynb"]


@pytest.mark.parametrize("path", CAPPED, ids=lambda p: p.name)
def test_every_capped_lab_caps_what_it_loads_with_its_own_parameters(path):
    code = "".join("".join(c["source"]) for c in load(path)["cells"] if c["cell_type"] == "code")
    assert re.search(r"data = limit_train_images\((data|load_mnist\(source=DATA_SOURCE\)), TRAIN_IMAGES, "
                     r"cpu_limit=CPU_TRAIN_IMAGES\)", code)
    assert "CPU_TRAIN_IMAGES" in parameters(path)


@HAS_FULL_SIZE
@pytest.mark.slow
@pytest.mark.parametrize("path", RUN_AT_FULL_SIZE, ids=lambda p: p.name)
def test_at_full_size_on_a_cpu_a_lab_trains_on_its_cpu_share_and_says_so(path, full_size_folder, tmp_path):
    nb = execute(path, tmp_path, QUICK.get(path.name, {}),
                 env={"LAB_DATA_DIR": str(full_size_folder), "LAB_DATA_SOURCE": "local"})
    text = "".join("".join(o.get("text", "")) for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "60,000 train / 10,000 test images from local" in text
    assert f"Training images: {parameters(path)['CPU_TRAIN_IMAGES']:,} of 60,000" in text
