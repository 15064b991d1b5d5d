"""Every function's init, as Lambda runs it: a fresh interpreter importing the handler module."""

import json
import subprocess
import sys

import pytest

from localrun.template import REGION, load_app
from tests.support.cfn import ROOT

FUNCTIONS = load_app(ROOT / "template.yaml").functions

PROBE = """
import compileall, gc, importlib, json, sys
def collections():
    return [generation["collections"] for generation in gc.get_stats()]
sys.path.insert(0, sys.argv[1])
# Bytecode first: compiling the handlers package itself allocates before its first line runs.
compileall.compile_dir(sys.argv[1], quiet=1)
gc.collect()  # nor may the probe's own start-up allocations trigger a collection inside init
before = collections()
importlib.import_module(sys.argv[2])
print(json.dumps({
    "collections": [after - then for after, then in zip(collections(), before)],
    "enabled": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
}))
"""


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.logical_id)
def test_init_runs_no_garbage_collection_and_leaves_the_collector_on(function):
    environment = {
        **function.environment,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "LAMBDA_TASK_ROOT": str(function.code_dir),
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    module = function.handler.rpartition(".")[0]
    probe = subprocess.run(
        [sys.executable, "-I", "-c", PROBE, str(function.code_dir), module],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    init = json.loads(probe.stdout)
    assert init["collections"] == [0, 0, 0], "the collector ran during init"
    assert init["enabled"], "init left the collector off: cyclic garbage would never be freed"
    # Init's objects live as long as the environment: frozen, no collection rescans them.
    assert init["frozen"] > 10_000
