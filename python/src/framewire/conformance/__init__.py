"""The Framewire conformance runner (spec section 10).

Modules, from the bottom up:

- `vectors`: reads the vector files and the error registry, selects cases, cuts inputs
  into deliveries (whole, byte by byte, random split, the vector's own chunks).
- `wire`: the wire oracle: Framewire bytes written and read from the spec alone, standard
  library only (also the vector generator's and the spec-example tests' source of bytes).
- `judge`: compares adapter replies and live transcripts with the vectors.
- `adapter_client` + `runner`: adapter mode (a subprocess speaking JSON lines, spec 10.3).
- `live`: live mode against an echo peer over sockets (spec 10.5).
- `results`, `report`: outcomes, known failures, JSON/JUnit reports, the summary table.
- `cli`: `framewire conformance` / `python -m framewire.conformance`.
- `adapter`, `echo`: the reference adapter and echo peer for the Python implementation.
- `fuzzgen` + `fuzzdiff`: differential fuzzing, random requests to several adapters with
  the replies compared as `judge` compares them, findings shrunk.

The runner never uses the framewire codec to decide what is right (FW-CNF-4); only the
reference adapter and echo peer import it.
"""
