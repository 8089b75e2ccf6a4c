"""Submissions that try to get marks without the work, or to stop the batch: each scores what its functions really
do, is flagged, and leaves every other row as it would be alone.

Each is Lab 0's solution with Exercise 2 answered wrong (`images / 255`: float64, which its check fails) and one
piece of tampering added; Exercise 1 is answered right, and must still pass. The tampering runs before Exercise 1
(so that the honest exercise is graded in a tampered kernel) unless it breaks the kernel's side of the grader's
channel (then after Exercise 1: what it breaks is only its own grading) or kills the kernel (then at the end). Every
bomb is bounded by the test itself, so that a limit that fails cannot take the machine down. One batch (jobs=2)
grades them all beside an honest solution and the untouched lab; Lab 1 adds two kinds across labs.
"""

import hashlib
import json
import socket
import subprocess
import threading

import pytest

from lab_utils import grade

from notebooks import ROOT
from submissions import index_of, load, save, statuses, with_mistake

SETUP = "00_setup"
WRONG_2 = ('images.astype("float32") / 255.0', "images / 255")
MEMORY, PROCESSES = "3G", 300
MARK = "lab-grade-daemon-7f3a"  # in the daemon's command line, to look for it after the batch


def code(text):
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": text}


def tampered(cell, where="before"):
    """Lab 0's solution, Exercise 2 wrong, with ``cell`` before Exercise 1, after Exercise 1's check, or at the end."""
    nb = with_mistake(load(ROOT / "solutions" / f"{SETUP}.ipynb"), "2", *WRONG_2)
    index = {"before": index_of(nb, "# Exercise 1:"), "after": index_of(nb, "# Exercise 2:"),
             "end": len(nb["cells"])}[where]
    nb["cells"].insert(index, code(cell))
    return nb


def kinds(paths):
    """Each kind of tampering: (submission, flag expected in its row or None)."""
    return {
        "forged_records": (tampered(
            "import json, os\nos.makedirs('records', exist_ok=True)\nfor n in (1, 2):\n"
            "    with open(f'records/public-{n}.jsonl', 'a') as f:\n"
            "        f.write(json.dumps({'status': 'passed'}) + '\\n')\n"
            "os.makedirs('.grader/call-1', exist_ok=True)\n"
            "open('.grader/call-1/reply.json', 'w').write('{\"raised\": null, \"values\": {}}')"),
            "wrote to the grader's records"),
        "replaced_checks": (tampered(
            "from lab_utils import checks\n"
            "checks.check_scale_images = lambda fn: checks._passed('Exercise 2 (scale_images)', 'forged')\n"
            "checks.check_class_counts = checks.check_scale_images"), "replaced lab_utils.checks"),
        "patched_numpy_and_tensorflow": (tampered(
            "import numpy as np\nimport tensorflow as tf\nnp.allclose = lambda *a, **k: True\n"
            "np.array_equal = lambda *a, **k: True\nnp.issubdtype = lambda *a, **k: True\n"
            "tf.debugging.assert_near = lambda *a, **k: None"), "patched NumPy, TensorFlow or Keras"),
        "local_lab_utils": (tampered(
            "import os\nos.makedirs('lab_utils', exist_ok=True)\nopen('lab_utils/__init__.py', 'w').write('')\n"
            "open('lab_utils/checks.py', 'w').write('def check_scale_images(fn):\\n    print(\"passed\")\\n')"),
            "wrote a local lab_utils"),
        "sys_modules": (tampered(
            "import json, pathlib, sys, types\nimport numpy as np\nfake = types.ModuleType('lab_utils.exchange')\n"
            "def serve(namespace, folder):\n    folder = pathlib.Path(folder)\n"
            "    np.savez(folder / 'reply.npz', a0=np.ones((3, 28, 28), np.float32))\n"
            "    (folder / 'reply.json').write_text(json.dumps({'exists': True, 'callable': True, 'raised': None,\n"
            "        'values': {'result': {'t': 'array', 'key': 'a0'},\n"
            "                   'after': {'t': 'list', 'items': [{'t': 'none'}]}}}))\n"
            "fake.serve = serve\nsys.modules['lab_utils.exchange'] = fake\n"
            "sys.modules['lab_utils.checks'] = types.ModuleType('lab_utils.checks')", "after"),
            "changed sys.modules"),
        "hidden_checks": (tampered(
            f"try:\n    print(open({str(paths['hidden'])!r}).read())\nexcept OSError as e:\n"
            "    print('no hidden_checks:', type(e).__name__)"), "looked for the hidden checks"),
        "output_folder": (tampered(
            f"import os\nfor name in ('grades.csv', 'feedback/forged.md'):\n    try:\n"
            f"        os.makedirs(os.path.dirname(os.path.join({str(paths['out'])!r}, name)), exist_ok=True)\n"
            f"        open(os.path.join({str(paths['out'])!r}, name), 'w').write('student,total\\nforged,99\\n')\n"
            "    except OSError as e:\n        print('refused:', type(e).__name__)"),
            "wrote into the grader's output folder"),
        "detached_daemon": (tampered(
            f"import subprocess\nsubprocess.Popen(['setsid', 'sh', '-c', 'sleep 300; echo {MARK}'], "
            "start_new_session=True)"), "left"),
        "junk_everywhere": (tampered(
            "import os\nos.makedirs('records', exist_ok=True)\nopen('records/public-1.jsonl', 'w').write('1\\n')\n"
            "open('kernel.pid', 'w').write('garbage')\nopen('.grader', 'w').write('not a folder')\n"
            "os.write(1, b'LAB-GRADE-RESULT {\"result\": {\"student\": \"forged\"}}\\n')\n"
            "os.write(2, b'LAB-GRADE-RESULT {\"exercise\": \"2\", \"judged\": {\"status\": \"passed\"}}\\n')"),
            "wrote to the grader's records"),
        "kit_files": (tampered(
            "import lab_utils.checks\ntry:\n    open(lab_utils.checks.__file__, 'a').write('# forged')\n"
            "except OSError as e:\n    print('refused:', type(e).__name__)"),
            "wrote to the kit's or Python's own files"),
        "memory_bomb": (tampered(
            "blocks = []\nfor _ in range(80):  # at most 8 GB: a limit that fails cannot take the machine down\n"
            "    blocks.append(bytearray(b'\\x01') * (100 * 2**20))", "end"), "hit the memory limit"),
        "process_bomb": (tampered(
            "import subprocess\nchildren = []\ntry:\n    for _ in range(1500):  # at most 1,500 processes\n"
            "        children.append(subprocess.Popen(['sleep', '60']))\nexcept OSError as e:\n"
            "    print('stopped at', len(children), type(e).__name__)", "end"), "hit the process limit"),
        "environment_and_network": (tampered(
            f"import os, socket\nprint(sorted(os.environ.items()))\ntry:\n"
            f"    socket.create_connection(('127.0.0.1', {paths['port']}), timeout=2).sendall(b'hello')\n"
            "    print('connected')\nexcept OSError as e:\n    print('no network:', type(e).__name__)"), None),
        "other_students": (tampered(
            "import os\nhere = os.path.dirname(os.getcwd())\nothers = os.path.dirname(here)\n"
            "print('peers:', [os.listdir(os.path.join(others, p)) for p in os.listdir(others) "
            "if os.path.join(others, p) != here])\n"
            f"print('seen:', os.listdir({str(paths['submissions'])!r}))\ntry:\n"
            f"    open(os.path.join({str(paths['submissions'])!r}, 'solution.ipynb'), 'w').write('{{}}')\n"
            "except OSError as e:\n    print('refused:', type(e).__name__)"), None),
    }


def huge():
    """The solution with 50 MB of saved outputs, a cell that prints 50 MB, and 10,000 cells after its exercises."""
    nb = load(ROOT / "solutions" / f"{SETUP}.ipynb")
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    first["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * 50_000_000}]
    nb["cells"].append(code("print('y' * 50_000_000)"))
    nb["cells"] += [code(f"z = {i}") for i in range(10_000)]
    return nb


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Every kind graded in one batch with the honest ones; returns (results by student, output folder, extras)."""
    tmp = tmp_path_factory.mktemp("tampering")
    submissions, out = tmp / "submissions", tmp / "grades"
    hidden = tmp / "instructor" / "hidden_checks_00.py"
    save("SECRET = 'hidden-9d2c'\n\ndef counts_of_one_digit(class_counts):\n"
         "    import numpy as np\n    assert list(class_counts(np.array([7, 7], np.uint8)))[7] == 2, 'two sevens'\n\n"
         "HIDDEN = {1: counts_of_one_digit}\n", hidden)
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    connections = []

    def listen():
        while not stop.is_set():
            try:
                connections.append(server.accept())
            except OSError:
                pass

    stop = threading.Event()
    threading.Thread(target=listen, daemon=True).start()
    paths = {"hidden": hidden, "out": out, "submissions": submissions, "port": server.getsockname()[1]}
    table = kinds(paths)
    for name, (nb, _) in table.items():
        save(nb, submissions / f"{name}.ipynb")
    save(load(ROOT / "solutions" / f"{SETUP}.ipynb"), submissions / "solution.ipynb")
    save(load(ROOT / "labs" / f"{SETUP}.ipynb"), submissions / "lab.ipynb")
    save(huge(), submissions / "huge.ipynb")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in submissions.iterdir()}
    kit = hashlib.sha256((ROOT / "lab_utils" / "checks.py").read_bytes()).hexdigest()
    import os

    os.environ["LAB_TEST_TOKEN"] = "tok-5be1e0"  # the instructor's environment: must not reach a kernel
    try:
        results = grade.grade(SETUP, [str(submissions)], out, jobs=2, hidden=hidden, cell_timeout=60,
                              total_timeout=240, quiet=True, memory=MEMORY, processes=PROCESSES)
    finally:
        os.environ.pop("LAB_TEST_TOKEN")
        stop.set()
    daemons = subprocess.run(["pgrep", "-f", MARK], capture_output=True, text=True).stdout.split()
    extras = {"table": table, "before": before, "connections": connections, "daemons": daemons,
              "kit": kit == hashlib.sha256((ROOT / "lab_utils" / "checks.py").read_bytes()).hexdigest()}
    return {r["student"]: r for r in results}, out, extras


def executed(out, student):
    return json.dumps(load(out / "executed" / f"{student}.ipynb"))


KINDS = ["forged_records", "replaced_checks", "patched_numpy_and_tensorflow", "local_lab_utils", "sys_modules",
         "hidden_checks", "output_folder", "detached_daemon", "junk_everywhere", "kit_files", "memory_bomb",
         "process_bomb", "environment_and_network", "other_students"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_tampering_submission_scores_what_its_functions_do(batch, kind):
    result = batch[0][kind]
    assert result["exercises"]["1"]["status"] == "passed", result  # the honest exercise, as without the tampering
    assert result["exercises"]["2"]["points"] == 0, result  # the forged one


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in ("environment_and_network", "other_students")])
def test_a_tampering_submission_is_flagged_in_details_and_summary(batch, kind):
    flag = batch[2]["table"][kind][1]
    assert any(flag in f for f in batch[0][kind]["flags"]), batch[0][kind]["flags"]
    details = (batch[1] / "details.csv").read_text(encoding="utf-8")
    assert any(line.startswith(f"{kind},") and "tampering suspected" in line for line in details.splitlines())
    assert f"- {kind}: tampering suspected" in (batch[1] / "summary.md").read_text(encoding="utf-8")


def test_honest_notebooks_score_as_alone_and_are_not_flagged(batch):
    assert set(statuses(batch[0]["solution"]).values()) == {"passed"}
    assert set(statuses(batch[0]["lab"]).values()) == {"not attempted"}
    assert not batch[0]["solution"]["flags"] and not batch[0]["lab"]["flags"]


def test_the_batch_completes_with_a_row_for_every_submission(batch):
    rows = (batch[1] / "grades.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert sorted(r.split(",")[0] for r in rows) == sorted(batch[0])
    assert "forged" not in [r.split(",")[0] for r in rows]  # the line a kernel printed to stdout made no row


def test_a_notebook_with_huge_outputs_and_10000_cells_gets_its_row_and_a_small_executed_copy(batch):
    assert set(statuses(batch[0]["huge"]).values()) == {"passed"}
    assert (batch[1] / "executed" / "huge.ipynb").stat().st_size < 5_000_000


def test_the_hidden_checks_are_never_readable_by_a_kernel(batch):
    assert "hidden-9d2c" not in executed(batch[1], "hidden_checks")
    assert "no hidden_checks: FileNotFoundError" in executed(batch[1], "hidden_checks")
    assert batch[0]["solution"]["exercises"]["1"]["hidden"]["status"] == "passed"  # run in the grader instead


def test_the_output_folder_cannot_be_written_by_a_kernel(batch):
    assert "refused: " in executed(batch[1], "output_folder")
    assert not (batch[1] / "feedback" / "forged.md").exists()


def test_a_detached_daemon_does_not_survive_its_kernel(batch):
    assert batch[2]["daemons"] == []


def test_the_kits_files_cannot_be_written_by_a_kernel(batch):
    assert batch[2]["kit"] and "refused: OSError" in executed(batch[1], "kit_files")


def test_a_memory_bomb_is_stopped_by_the_memory_limit(batch):
    assert "memory limit" in batch[0]["memory_bomb"]["note"]


def test_a_process_bomb_is_stopped_by_the_process_limit(batch):
    assert "stopped at" in executed(batch[1], "process_bomb")


def test_a_kernel_has_neither_the_instructors_environment_nor_the_network(batch):
    text = executed(batch[1], "environment_and_network")
    assert "tok-5be1e0" not in text and "no network: " in text
    assert batch[2]["connections"] == []


def test_a_kernel_sees_no_other_students_notebook_and_changes_none(batch):
    text = executed(batch[1], "other_students")
    assert "seen: []" in text and "refused: " in text
    assert "peers: [[]" in text and "kernel.json" not in text  # other kernels' folders: there, but empty
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in batch[2]["before"]} == batch[2]["before"]


# --------------------------------------------------------------------------- across labs: Lab 1

@pytest.fixture(scope="module")
def lab1(tmp_path_factory):
    from submissions import with_answer

    tmp = tmp_path_factory.mktemp("tampering-lab1")
    solution = load(ROOT / "solutions" / "01_linear_model.ipynb")
    wrong = with_answer(solution, "1", "return 1 / (1 + tf.exp(z))")
    wrong["cells"].insert(index_of(wrong, "# Exercise 1:"), code(
        "from lab_utils import checks\nchecks.check_sigmoid = lambda fn: print('passed')"))
    save(wrong, tmp / "s" / "replaced_check.ipynb")
    softmax = with_answer(solution, "5", 'return keras.Sequential([keras.Input(shape=(784,)), '
                                         'keras.layers.Dense(10, activation="softmax")])')
    softmax["cells"].insert(index_of(softmax, "# Exercise 1:"), code(
        "import keras\nkeras.Model.count_params = lambda self: 7850\nkeras.Model.__call__ = lambda self, x, **k: x"))
    save(softmax, tmp / "s" / "patched_keras.ipynb")
    results = grade.grade("01", [str(tmp / "s")], tmp / "out", jobs=2, quiet=True, cell_timeout=60, total_timeout=300)
    return {r["student"]: r for r in results}


def test_across_labs_a_replaced_check_earns_nothing(lab1):
    result = lab1["replaced_check"]
    assert {n: s for n, s in statuses(result).items() if s != "passed"} == {"1": "failed"}
    assert any("replaced lab_utils.checks" in f for f in result["flags"])


def test_across_labs_a_patched_keras_earns_nothing(lab1):
    result = lab1["patched_keras"]
    assert {n: s for n, s in statuses(result).items() if s != "passed"} == {"5": "failed"}
    assert any("patched NumPy, TensorFlow or Keras" in f for f in result["flags"])


# --------------------------------------------------------------------------- the kit's own answers, renamed

@pytest.fixture(scope="module")
def kit_builders(tmp_path_factory):
    """Lab 2's Exercise 2 answered with the kit's own mlp(), wrapped and renamed, which its check cell in a student's
    kernel does not see through; graded beside the solution."""
    from submissions import with_answer

    tmp = tmp_path_factory.mktemp("kit-builders")
    solution = load(ROOT / "solutions" / "02_mlp.ipynb")
    answer = ("from lab_utils.models import mlp as helper\n    model = helper(dropout=0.2)\n"
              "    return keras.Model(model.inputs, model.outputs, name='my_own_mlp')")
    save(with_answer(solution, "2", answer), tmp / "s" / "renamed_builder.ipynb")
    results = grade.grade("02", [str(tmp / "s")], tmp / "out", jobs=1, quiet=True, cell_timeout=60,
                          total_timeout=300)
    return {r["student"]: r for r in results}


def test_the_kits_own_builder_renamed_earns_nothing_in_the_grader(kit_builders):
    result = kit_builders["renamed_builder"]
    assert {n: s for n, s in statuses(result).items() if s != "passed"} == {"2": "failed"}, result
    assert "calls lab_utils.models.mlp, the kit's own code" in result["exercises"]["2"]["message"]
