"""Fixes to moto 5.2.5 so that it behaves like AWS where the product's tests depend on it.

Each patch lives in its own module and says which AWS behaviour it restores.
"""


def apply() -> None:
    """Applies every patch (idempotent)."""
