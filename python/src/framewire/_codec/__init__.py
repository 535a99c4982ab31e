"""The sans-I/O core's internals: the wire layouts, the byte-level codecs, the frame
checks, the receive buffer, the frame readers and message assembly, and the compiled
receive loop. The public names they serve are ``framewire.decoder``, ``framewire.encoder``
and ``framewire.session``; nothing here touches a socket.
"""
