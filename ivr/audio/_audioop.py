"""`audioop`, the C sample functions pydub uses too, imported once without its 3.11 warning.

It is in the standard library up to 3.12 (deprecated, with a warning at import) and comes
from the audioop-lts package from 3.13 on.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import audioop

__all__ = ["audioop"]
