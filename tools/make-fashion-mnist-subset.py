#!/usr/bin/env python3
"""Writes a class-balanced subset of Fashion-MNIST as PNG files in the folder-per-class layout.

Source: the Debian package `dataset-fashion-mnist` (MIT licence, Zalando Research), which installs
/usr/share/datasets/fashion-mnist/*-ubyte.gz. Only the Python standard library is used.

    python3 tools/make-fashion-mnist-subset.py OUT_DIR --train-per-class 30 --test-per-class 10

The first N images of each class (in file order) are taken from the training and the test split, so the
output is the same on every machine.
"""
import argparse
import gzip
import os
import struct
import zlib

CLASSES = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"]
SOURCE = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2049:
        return list(data[8:8 + count])
    rows, cols = struct.unpack(">II", data[8:16])
    size = rows * cols
    return [data[16 + i * size:16 + (i + 1) * size] for i in range(count)], rows, cols


def png_gray(pixels, width, height):
    raw = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def write_split(out_dir, split, prefix, per_class):
    (images, rows, cols) = read_idx(os.path.join(SOURCE, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(SOURCE, f"{prefix}-labels-idx1-ubyte.gz"))
    taken = [0] * len(CLASSES)
    for index, (image, label) in enumerate(zip(images, labels)):
        if taken[label] >= per_class:
            continue
        folder = os.path.join(out_dir, split, CLASSES[label])
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{prefix}-{index:05d}.png"), "wb") as f:
            f.write(png_gray(image, cols, rows))
        taken[label] += 1
        if all(t >= per_class for t in taken):
            break


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--train-per-class", type=int, default=300)
    parser.add_argument("--test-per-class", type=int, default=100)
    args = parser.parse_args()
    write_split(args.out_dir, "train", "train", args.train_per_class)
    write_split(args.out_dir, "test", "t10k", args.test_per_class)


if __name__ == "__main__":
    main()
