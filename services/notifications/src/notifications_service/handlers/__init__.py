"""One module per Lambda function; each imports only what it uses.

Init runs without garbage collection (docs/service-conventions.md): each handler module ends
by freezing what init built and turning the collector back on.
"""

import gc

gc.disable()
