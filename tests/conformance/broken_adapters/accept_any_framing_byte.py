"""Broken: checks only the preface's signature, not its framing byte and guard (breaks FW-PRE-2)."""

from framewire import Framing, Limits
from framewire.conformance.adapter import ReferenceAdapter, main
from framewire.options import Options
from framewire.session import Session

SIGNATURE_SIZE = 4


class LaxPrefaceSession(Session):
    def _check_preface(self) -> bool:
        received = self._preface_scratch
        for index in range(SIGNATURE_SIZE, len(received)):
            received[index] = self._expected_preface[index]
        return super()._check_preface()


class AcceptAnyFramingByte(ReferenceAdapter):
    def new_session(self, framing: Framing, limits: Limits) -> Session:
        return LaxPrefaceSession(Options(framing, limits))


if __name__ == "__main__":
    main(AcceptAnyFramingByte())
