"""Light video and audio: ffmpeg renditions of episode files, their state, the task, the admin report."""
