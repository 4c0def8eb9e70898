"""The microscope: a picture of every channel of chosen layers, painted across workers, as a static site."""
