"""The endless dream: feed each dreamed frame back, moved by a keyframed camera, in float."""
