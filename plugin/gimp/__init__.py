"""The GIMP 3 side of dreamlayer: the plug-in script GIMP's Python runs (``dreamlayer_gimp.py``,
copied by ``dreamlayer install gimp``) and the bridge the engine's Python runs for it."""
