"""The Python side of Scripts/bench_imaging.sh: images/s of PIL decode + LLaVA's expand2square +
transformers' CLIPImageProcessorPil (the PIL backend LLaVA-1.5's numbers come from).

  bench_imaging_pil.py make DIR [--count N]      writes N COCO-sized (640x480) JPEGs into DIR
  bench_imaging_pil.py run DIR [--image-aspect-ratio pad|original] [--trials T]
"""
import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image


def make(folder, count):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for i in range(count):
        width, height = (640, 480) if i % 4 else (480, 640)  # COCO mixes landscape and portrait
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        image = np.stack([128 + 100 * np.sin(x / (37 + i) + i), 128 + 100 * np.cos(y / (23 + i)),
                          128 + 60 * np.sin((x + y) / 51)], axis=-1)
        blocks = rng.integers(0, 256, (height // 16 + 1, width // 16 + 1, 3)).repeat(16, 0).repeat(16, 1)
        image = 0.6 * image + 0.4 * blocks[:height, :width] + rng.normal(0, 8, image.shape)
        Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(folder / f"coco_like_{i:03d}.jpg", quality=90)


def expand2square(image, background):
    width, height = image.size
    if width == height:
        return image
    side = max(width, height)
    result = Image.new(image.mode, (side, side), background)
    result.paste(image, (0, (side - height) // 2) if width > height else ((side - width) // 2, 0))
    return result


def run(folder, aspect, trials):
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    processor = CLIPImageProcessorPil(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336})
    assert processor.backend == "pil"
    background = tuple(int(x * 255) for x in processor.image_mean)
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))

    def one_pass():
        for path in paths:
            image = Image.open(path).convert("RGB")
            if aspect == "pad":
                image = expand2square(image, background)
            processor.preprocess(image, return_tensors="np")["pixel_values"]

    one_pass()
    # Wall time and process CPU time, fastest of the trials, as the Swift side reports them.
    best = [min(t) for t in zip(*(timed(one_pass) for _ in range(trials)))]
    decode = [min(t) for t in zip(*(timed(lambda: [Image.open(p).convert("RGB") for p in paths]) for _ in range(trials)))]
    n = len(paths)
    print(f"pil:   {n} images, aspect {aspect}, 1 thread: decode+preprocess {n / best[0]:.1f} images/s wall, "
          f"{n / best[1]:.1f} per CPU-second; decode only {n / decode[0]:.1f} images/s wall, {n / decode[1]:.1f} per CPU-second")


def timed(body):
    wall, cpu = time.perf_counter(), time.process_time()
    body()
    return time.perf_counter() - wall, time.process_time() - cpu


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    make_parser = sub.add_parser("make")
    make_parser.add_argument("folder", type=Path)
    make_parser.add_argument("--count", type=int, default=32)
    run_parser = sub.add_parser("run")
    run_parser.add_argument("folder", type=Path)
    run_parser.add_argument("--image-aspect-ratio", default="pad", choices=["pad", "original"])
    run_parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    if args.command == "make":
        make(args.folder, args.count)
    else:
        run(args.folder, args.image_aspect_ratio, args.trials)
