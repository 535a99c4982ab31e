"""The transports' internals: what the blocking, asyncio and serial transports share
(the lifecycle of a connection, the session driven over a byte stream, the TLS shims,
listening, the connection log, the arguments of the public calls, returning freed
memory). The public names they serve are ``framewire.sync``, ``framewire.aio``,
``framewire.serial`` and ``framewire.tls``.
"""
