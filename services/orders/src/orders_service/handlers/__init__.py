"""One module per Lambda function; each imports only what it uses.

Lambda imports one of these modules per execution environment, and that import (boto3,
pydantic, Powertools) builds tens of thousands of objects that live as long as the environment
and frees almost none: the cyclic garbage collector would only rescan them, a sizeable part of
a cold start. So it stays off until the handler module's last lines freeze what init built
(out of every later collection too) and turn it back on.
"""

import gc

gc.disable()
