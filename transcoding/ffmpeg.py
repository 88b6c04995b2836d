"""Run the ffmpeg binary that imageio-ffmpeg ships: probe a file, encode one rendition with progress.

No Django here: the bench script and the worker call the same functions. ffmpeg's stderr is kept for
the operator's log; editors see the plain Chinese message of a MediaError.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
VIDEO_STREAM = re.compile(r"Stream #\S+.*?: Video: (?!png|mjpeg|bmp|gif)\w+.*?, (\d{2,5})x(\d{2,5})")
AUDIO_STREAM = re.compile(r"Stream #\S+.*?: Audio: ")
OUT_TIME = re.compile(r"^out_time_us=(\d+)$", re.MULTILINE)
STDERR_KEEP = 2000  # characters of ffmpeg's complaint kept for the operator


class MediaError(RuntimeError):
    """The file cannot be transcoded; str() is a plain Chinese message for the editor."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail[-STDERR_KEEP:]


@dataclass(frozen=True)
class Probe:
    """What ffmpeg says of an input: its length, its picture size (0 without video) and whether it has sound."""

    duration: float
    width: int
    height: int
    has_audio: bool

    @property
    def has_video(self) -> bool:
        return self.width > 0


@dataclass(frozen=True)
class Rendition:
    """One output: a name (low, high, audio, poster), its file suffix and ffmpeg's output options."""

    name: str
    suffix: str
    options: tuple[str, ...]
    bitrate: int = 0  # bits per second it aims at (0 for the poster)
    height: int = 0  # the picture's height at most (0: no picture)


# 360p for phones on 2G/3G (the default), 720p for Wi-Fi, sound alone for 「只听声音」. Only ever scaled down;
# H.264 Main at level 3.0 plays on any phone of the last decade; +faststart puts the index first, so playback
# (and seeking by Range requests) starts before the whole file arrives.
VIDEO_RENDITIONS = (
    Rendition("low", "360p.mp4", (
        "-map", "0:v:0", "-map", "0:a:0?", "-vf", "scale=-2:'min(360,ih)':flags=bicubic", "-c:v", "libx264",
        "-preset", "veryfast", "-profile:v", "main", "-level:v", "3.0", "-pix_fmt", "yuv420p", "-b:v", "400k",
        "-maxrate", "480k", "-bufsize", "960k", "-c:a", "aac", "-b:a", "48k", "-ac", "1", "-movflags", "+faststart",
    ), bitrate=448_000, height=360),
    Rendition("high", "720p.mp4", (
        "-map", "0:v:0", "-map", "0:a:0?", "-vf", "scale=-2:'min(720,ih)':flags=bicubic", "-c:v", "libx264",
        "-preset", "veryfast", "-profile:v", "main", "-level:v", "3.1", "-pix_fmt", "yuv420p", "-b:v", "1200k",
        "-maxrate", "1500k", "-bufsize", "3000k", "-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart",
    ), bitrate=1_296_000, height=720),
)
AUDIO_RENDITION = Rendition(
    "audio", "audio.m4a", ("-map", "0:a:0", "-vn", "-c:a", "aac", "-b:a", "48k", "-ac", "1", "-movflags", "+faststart"),
    bitrate=48_000,
)
POSTER = Rendition("poster", "poster.webp", (
    "-map", "0:v:0", "-frames:v", "1", "-vf", "scale=-2:'min(360,ih)'", "-c:v", "libwebp", "-quality", "60",
), height=360)


def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def renditions_for(probe: Probe) -> list[Rendition]:
    """What a file becomes: a video its 360p (and 720p when it is taller than 360p), its sound (if any) and a poster;
    an audio file the AAC track."""
    if probe.has_video:
        low, high = VIDEO_RENDITIONS
        sizes = [low, high] if probe.height > low.height else [low]
        return [*sizes, *([AUDIO_RENDITION] if probe.has_audio else []), POSTER]
    return [AUDIO_RENDITION]


def probe(source: Path, input_options: tuple[str, ...] = ()) -> Probe:
    """Read the file's header with `ffmpeg -i`; MediaError when it is not a playable video or audio file.

    input_options go before `-i` (a caller taking files from strangers narrows the protocols and formats).
    """
    try:
        completed = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", *input_options, "-i", os.fspath(source)],
            capture_output=True, text=True, errors="replace", timeout=120,
        )
    except subprocess.TimeoutExpired as expired:
        raise MediaError("读取文件超时，文件可能已经损坏。请检查后重新上传。", str(expired)) from None
    text = completed.stderr
    duration = DURATION.search(text)
    video = VIDEO_STREAM.search(text)
    if "Invalid data found" in text or "moov atom not found" in text or not (video or AUDIO_STREAM.search(text)):
        raise MediaError("文件不是能播放的视频或音频，或者已经损坏、没有传完整。请检查后重新上传。", text)
    seconds = int(duration[1]) * 3600 + int(duration[2]) * 60 + float(duration[3]) if duration else 0.0
    if seconds <= 0:
        raise MediaError("读不出文件的时长，文件可能已经损坏或没有传完整。请检查后重新上传。", text)
    return Probe(
        duration=seconds,
        width=int(video[1]) if video else 0,
        height=int(video[2]) if video else 0,
        has_audio=bool(AUDIO_STREAM.search(text)),
    )


def encode(
    source: Path, target: Path, rendition: Rendition, duration: float,
    on_progress: Callable[[float], None] | None = None, *, threads: int = 0,
    input_options: tuple[str, ...] = (), timeout: float | None = None,
) -> None:
    """Write one rendition to `target` (via a .part file, so a stopped run never leaves a half file under its name).

    on_progress gets 0.0–1.0 from ffmpeg's `-progress` lines. input_options go before `-i`; after `timeout` seconds
    ffmpeg is killed. MediaError when ffmpeg fails or is killed.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    seek = ["-ss", f"{min(3.0, duration / 3):.2f}"] if rendition is POSTER else []
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-progress", "pipe:1", "-nostats",
        *seek, *input_options, "-i", os.fspath(source), *rendition.options, "-threads", str(threads),
        "-f", "webp" if rendition is POSTER else "mp4", os.fspath(partial),
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace") as process:
        assert process.stdout is not None and process.stderr is not None
        # A timer, not wait(timeout): the progress lines are read as they come, and a stuck ffmpeg writes none.
        killer = threading.Timer(timeout, process.kill) if timeout else None
        if killer:
            killer.start()
        try:
            for line in process.stdout:
                found = OUT_TIME.match(line.strip())
                if found and on_progress and duration > 0:
                    on_progress(min(1.0, int(found[1]) / 1_000_000 / duration))
            errors = process.stderr.read()
        finally:
            if killer:
                killer.cancel()
    if process.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
        partial.unlink(missing_ok=True)
        raise MediaError("转码失败：文件内容有损坏或格式不受支持。请检查后重新上传。", errors)
    os.replace(partial, target)
    if on_progress:
        on_progress(1.0)


def picture_size(path: Path) -> tuple[int, int]:
    """Width and height of an encoded rendition: ffmpeg's header for a video, Pillow's for the WebP poster."""
    if path.suffix == ".webp":
        from PIL import Image  # reads the header only

        with Image.open(path) as image:
            return image.size
    found = probe(path)
    return found.width, found.height
