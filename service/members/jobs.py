"""Background work for members: the import of a roster, and closing imports whose job died.

The functions live with the import engine (`importing`), whose internals they use; queued
jobs name them there (`service.members.importing:run_import`), so they stay defined there
and this module is where a reader finds every job of the package.
"""

from __future__ import annotations

from service.members.importing import gave_up, give_up_lost_imports, run_import

__all__ = ["gave_up", "give_up_lost_imports", "run_import"]
