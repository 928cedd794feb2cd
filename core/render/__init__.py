"""Rendering the cut: from normalized clips to a finished, exportable film.

Video and sound are built separately, because they behave differently:

- Video is expensive to encode, so it is assembled from segments, each cached by
  what it is made of: the body of each clip (stream-copied, starting on a
  keyframe), each transition (the only clip frames re-encoded), the title card
  and the credits. A changed scene re-encodes its own clip's transitions and
  nothing else; everything is joined by stream copy.
- Sound is cheap to encode and must be treated as one piece anyway (a music bed
  across the whole film, EBU R128 loudness), so the whole track is rebuilt in one
  audio-only pass each export.

An export preset that changes the frame (1080p, 9:16, 1:1) or burns subtitles in
must re-encode the picture once at the end; the default 720p 16:9 never does.
"""
