"""The multi-tenancy layer: who may see which association's rows.

It knows nothing of HTTP or of the domain's tables; `service/` builds on it.
"""
