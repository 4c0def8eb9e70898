"""The Krita side of dreamlayer: the Filter-menu extension, pixel adapter and layer apply.

Only ``extension`` imports Krita's ``krita`` module; the rest takes Krita objects as
arguments so it can be tested against a small stub of Krita's API.
"""
