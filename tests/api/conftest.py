"""Import web3 once with its own deprecation warning silenced.

web3 7 imports ``websockets.legacy`` (for its legacy WebSocket provider),
which warns on import; the suite turns warnings into errors. Importing it
here first, inside ``catch_warnings``, leaves that one warning out without
hiding any warning our code causes.
"""

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "websockets.legacy is deprecated", DeprecationWarning)
    import web3  # noqa: F401
