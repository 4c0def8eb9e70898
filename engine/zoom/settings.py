"""Defaults of `dreamlayer zoom` and `dreamlayer dream-video` (standard library only, like dreamlayer.settings)."""
from __future__ import annotations

ZOOM_FRAMES = 120
ZOOM_FACTOR = 1.05  # per frame: 5 % closer each frame
ZOOM_FPS = 24
ZOOM_STEPS = 5  # gradient steps per octave per frame; the dream builds up over frames, so few suffice
ZOOM_OCTAVES = 1  # earlier frames play the part of the coarse octaves
COLOUR_HOLD = 0.5  # share of the way back to the reference's colour statistics, every frame
FROM_CHOICES = ("noise", "grey")

VIDEO_BLEND = 0.3  # fresh frame vs warped dream; 0.5 was both weaker and flickered more (README)
VIDEO_STEPS = 1  # per octave per frame: the carried dream builds up, so one step keeps flicker low
VIDEO_STEP_SIZE = 0.02  # with one step per frame the still's 0.006 barely shows
VIDEO_OCTAVES = 2
# dream-video by shots (--cluster): pieces of at most this many frames (two seconds at 24 fps: many to
# share out, few fades), this many frames faded where a piece continues a shot, and the colour
# histogram distance (0-1) that counts as a scene change
SHOT_PIECE_FRAMES = 48
SHOT_FADE_FRAMES = 4
SHOT_CUT = 0.4
FLOW_METHODS = ("dis", "farneback", "none")
