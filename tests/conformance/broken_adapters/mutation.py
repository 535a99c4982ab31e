"""One helper for the broken adapters: replace one function of the implementation.

It fails loudly (AttributeError) if the implementation no longer has the function, so a
renamed internal cannot turn a broken adapter silently into a correct one.
"""

from collections.abc import Callable
from types import ModuleType
from typing import Any


def replace(owner: ModuleType | type, name: str, new: Any) -> Callable[..., Any]:
    """Put NEW in place of OWNER.NAME and return the original."""
    original: Callable[..., Any] = getattr(owner, name)
    setattr(owner, name, new)
    return original
