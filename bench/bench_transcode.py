"""Transcode speed: each rendition of a generated clip, timed as the worker makes it (transcoding.ffmpeg); prints JSON.

    .venv/bin/python bench/bench_transcode.py                               # 60 s of 1280×720 25 fps with a tone
    .venv/bin/python bench/bench_transcode.py --seconds 120 --size 1920x1080 --runs 3

The clip is ffmpeg's testsrc2 pattern (moving, detailed: harder to compress than a talking head) with a sine
tone, encoded once as a high-bitrate H.264 "upload". Speed is clip seconds ÷ wall seconds (× real time), the
median of --runs; bytes are what a phone downloads. With --project, the time and storage for N episodes of an
assumed average length follow from the measured speeds and bytes (linear in length: constant bitrates).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from transcoding import ffmpeg  # noqa: E402  (no Django needed)


def make_clip(path: Path, seconds: int, size: str) -> None:
    subprocess.run([
        ffmpeg.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        "-c:v", "libx264", "-preset", "veryfast", "-b:v", "4M", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
        "-shortest", str(path),
    ], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--project", type=int, default=6488, help="episodes to project time and storage for (the seed's)")
    parser.add_argument("--episode-minutes", type=float, default=20.0, help="assumed average episode length")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-transcode-") as folder:
        source = Path(folder) / "upload.mp4"
        make_clip(source, args.seconds, args.size)
        probe = ffmpeg.probe(source)
        results = {}
        for rendition in ffmpeg.renditions_for(probe):
            times = []
            for run in range(args.runs):
                target = Path(folder) / f"{run}-{rendition.suffix}"
                started = time.perf_counter()
                ffmpeg.encode(source, target, rendition, probe.duration)
                times.append(time.perf_counter() - started)
            seconds = statistics.median(times)
            results[rendition.name] = {
                "seconds_median": round(seconds, 2),
                "seconds_all": [round(t, 2) for t in times],
                "x_real_time": round(probe.duration / seconds, 1),
                "bytes": target.stat().st_size,
                "kbit_per_s": round(target.stat().st_size * 8 / probe.duration / 1000) if rendition.name != "poster" else None,
                "size": "x".join(map(str, ffmpeg.picture_size(target))) if rendition.name != "audio" else None,
            }
        upload_bytes = source.stat().st_size

    total_seconds = sum(r["seconds_median"] for r in results.values())
    episode_seconds = args.episode_minutes * 60
    scale = episode_seconds / probe.duration
    projection = {
        "episodes": args.project,
        "assumed_episode_minutes": args.episode_minutes,
        "hours_of_video": round(args.project * episode_seconds / 3600),
        # One worker process; ffmpeg uses both cores of this machine for the H.264 renditions.
        "worker_hours_all_renditions": round(args.project * total_seconds * scale / 3600, 1),
        "worker_hours_360p_only": round(args.project * results["low"]["seconds_median"] * scale / 3600, 1),
        "storage_gb": {
            name: round(args.project * r["bytes"] * (scale if name != "poster" else 1) / 1e9, 1) for name, r in results.items()
        },
    }
    projection["storage_gb"]["all"] = round(sum(projection["storage_gb"].values()), 1)
    print(json.dumps({
        "clip": {"seconds": probe.duration, "size": args.size, "fps": 25, "upload_bytes": upload_bytes},
        "renditions": results,
        "all_renditions_x_real_time": round(probe.duration / total_seconds, 1),
        "goal_360p_x_real_time": 4,
        "projection": projection,
        "machine": {"cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 2), "python": platform.python_version(),
                    "ffmpeg": Path(ffmpeg.ffmpeg_exe()).name},
    }, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
