"""The docstring examples that run on their own (no data set, no training, no student code) print what they show.

The others stay illustrations (``data = load_mnist()``, ``model.fit(...)``, ``check_sigmoid(sigmoid)``) and are not run.
"""

import doctest
import importlib

import pytest

RUNNABLE_EXAMPLES = [
    "lab_utils.checks.check_class_counts",
    "lab_utils.checks.check_scale_images",
    "lab_utils.expected.load",
    "lab_utils.grade.file_names",
    "lab_utils.sandbox.cpu_seconds",
    "lab_utils.sandbox.parse_size",
    "lab_utils.labgen.strip_solutions",
    "lab_utils.plot.confusion_matrix",
    "lab_utils.plot.most_confident_mistakes",
    "lab_utils.transfer.compare",
    "lab_utils.transfer.mean_range",
]


@pytest.mark.parametrize("name", RUNNABLE_EXAMPLES)
def test_docstring_example_prints_what_it_shows(name):
    module_name, function_name = name.rsplit(".", 1)
    module = importlib.import_module(module_name)
    [test] = doctest.DocTestFinder().find(getattr(module, function_name), name, globs=vars(module).copy())
    assert test.examples, f"{name} has no example to run"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test, out=lambda report: pytest.fail(report, pytrace=False))
    assert runner.summarize(verbose=False).failed == 0
