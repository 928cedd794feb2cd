"""Rendering the cut: from normalized clips to a finished, exportable film.

Picture and sound are built separately, because they behave differently:

- Picture is expensive to encode, so almost none of it is: each clip body is
  read straight from its normalized clip between two keyframes and stream
  copied. Only transitions and the title and credits cards are encoded (in this
  process, with parameter sets identical to the clips'), each cached by what it
  is made of, so a changed scene re-encodes only the transitions that touch it.
- Sound must be one piece (a music bed across the whole film, one EBU R128
  loudness), so the whole track is mixed at once, in this process, and cached by
  everything the mix depends on: an export that changes only the picture
  (subtitles, preset, aspect) reuses it.

One ffmpeg process joins the picture and muxes the sound. An export preset that
changes the frame (1080p, 9:16, 1:1) or burns subtitles in re-encodes the
picture once at the end; the default 720p 16:9 never does.
"""
