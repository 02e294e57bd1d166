"""Recording Lab: the helpers every lesson imports in its first cell.

Names are loaded on first use, so `import helpers` stays quick and a missing optional
dependency only matters to the lesson that needs it.
"""

from importlib import import_module

_EXPORTS = {
    "connect": "client", "Lab": "client",
    "place_call": "calls", "wait_for_recording": "calls", "wait_until_ended": "calls",
    "download_recording": "calls", "timeline": "calls", "set_callee": "calls",
    "advance_clock": "calls", "sdk_changes": "calls",
    "validate": "rules", "explain": "rules", "is_blocking": "rules",
    "blocking_reason": "rules", "RECORD_PARAMS": "rules",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
