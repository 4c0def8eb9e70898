"""The Krita side of dreamlayer: the Filter-menu extension, pixel adapter and layer apply.

Only ``extension`` imports Krita's ``krita`` module; it wraps Krita's objects in the typed
``host`` wrappers, which the rest takes as arguments, so it can be tested against a small stub
of Krita's API.
"""
