"""Video in and out, optical flow and flow-guided dreaming of clips (the `video` extra)."""
