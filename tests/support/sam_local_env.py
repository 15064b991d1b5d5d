"""Run by SAM CLI's interpreter (.venv-sam): the environment `sam local invoke` would give each
function of a template, computed by SAM CLI's own code (the parts before Docker).

    python sam_local_env.py TEMPLATE [ENV_VARS_FILE]  ->  {"<full path>": {variable: value}}
"""

import json
import os
import sys
from pathlib import Path

from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

template = sys.argv[1]
env_vars = json.loads(Path(sys.argv[2]).read_text()) if len(sys.argv) > 2 else None
stacks, _ = SamLocalStackProvider.get_stacks(template)
provider = SamFunctionProvider(stacks)
runner = LocalLambdaRunner(
    local_runtime=None,  # never reached: only the environment is computed
    function_provider=provider,
    cwd=os.getcwd(),
    real_path=os.getcwd(),
    aws_region="us-east-1",
    env_vars_values=env_vars,
)
print(
    json.dumps(
        {f.full_path: runner._make_env_vars(f).resolve() for f in provider.get_all()},
        sort_keys=True,
    )
)
