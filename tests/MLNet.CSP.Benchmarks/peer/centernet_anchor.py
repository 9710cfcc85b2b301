"""The minimal-head anchor of the detection benchmark (docs/benchmarks.md, "A detector that wins on small data").

A CenterNet-style head (one class heat map, box size and centre offset at stride 8, fed by a two-step top-down merge of
the backbone's stride 8/16/32 maps) on cs3darknet_s written in plain PyTorch (pytorch_peer.py), trained from scratch on a
YOLO-layout dataset's train split with no augmentation at all, then run on its val split. The detections are written
to a TSV file that the benchmark's `evaluate-detections` scores with the library's own COCO evaluator, so both
detectors are measured by the same code.

  /usr/bin/python3 centernet_anchor.py DATA SEED OUT.tsv [EPOCHS] [BATCH]

DATA is the folder with data.yaml (train: and val: folders of images, labels/ beside images/). 2 threads, AdamW,
cosine learning rate, focal loss on the heat map (CenterNet's alpha 2 / beta 4), L1 on size and offset. Every peak
down to score 0.01 is kept (100 per image at most), as the library's benchmark keeps every detection down to 0.01.
"""
import math
import os
import random
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_peer import ConvNormAct, Cs3DarkNetS  # noqa: E402

STRIDE = 8
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


class CenterNet(nn.Module):
    def __init__(self, classes):
        super().__init__()
        backbone = Cs3DarkNetS(1)
        self.stem, self.stages = backbone.stem, backbone.stages
        self.lateral32 = ConvNormAct(512, 128, 1)
        self.lateral16 = ConvNormAct(256, 128, 1)
        self.lateral8 = ConvNormAct(128, 128, 1)
        self.merge = ConvNormAct(128, 128, 3)
        self.heat = nn.Conv2d(128, classes, 1)
        self.size = nn.Conv2d(128, 2, 1)
        self.offset = nn.Conv2d(128, 2, 1)
        nn.init.constant_(self.heat.bias, -2.19)  # CenterNet's prior: sigmoid(-2.19) = 0.1

    def forward(self, x):
        x = self.stages[0](self.stem(x))
        s8 = self.stages[1](x)
        s16 = self.stages[2](s8)
        s32 = self.stages[3](s16)
        y = F.interpolate(self.lateral32(s32), scale_factor=2.0) + self.lateral16(s16)
        y = self.merge(F.interpolate(y, scale_factor=2.0) + self.lateral8(s8))
        return self.heat(y), self.size(y), self.offset(y)


def read_yaml(path):
    entries = {}
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if ":" in line:
            key, value = line.split(":", 1)
            entries[key.strip()] = value.strip()
    names = [n.strip().strip("'\"") for n in entries["names"].strip("[]").split(",")]
    return entries, names


def load_split(root, folder):
    """Images as one normalised tensor, and per image a list of (class, x0, y0, x1, y1) in pixels."""
    images, boxes, files = [], [], []
    image_dir = os.path.join(root, folder)
    label_dir = os.path.join(root, folder.replace("images", "labels", 1))
    for name in sorted(os.listdir(image_dir)):
        with Image.open(os.path.join(image_dir, name)) as image:
            rgb = np.asarray(image.convert("RGB"), dtype=np.float32).copy()
        h, w = rgb.shape[:2]
        images.append(torch.from_numpy(rgb).permute(2, 0, 1) / 255.0)
        label = os.path.join(label_dir, os.path.splitext(name)[0] + ".txt")
        found = []
        if os.path.exists(label):
            for line in open(label, encoding="utf-8"):
                if line.strip():
                    c, cx, cy, bw, bh = line.split()
                    cx, cy, bw, bh = float(cx) * w, float(cy) * h, float(bw) * w, float(bh) * h
                    found.append((int(c), cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2))
        boxes.append(found)
        files.append(name)
    return (torch.stack(images) - MEAN) / STD, boxes, files


def gaussian_radius(h, w, overlap=0.7):
    """CenterNet's radius: the largest shift of a corner that keeps IoU >= overlap (the smallest of its three cases)."""
    b1, c1 = h + w, w * h * (1 - overlap) / (1 + overlap)
    r1 = (b1 + math.sqrt(b1 ** 2 - 4 * c1)) / 2
    b2, c2 = 2 * (h + w), (1 - overlap) * w * h
    r2 = (b2 + math.sqrt(b2 ** 2 - 16 * c2)) / 2
    a3, b3, c3 = 4 * overlap, -2 * overlap * (h + w), (overlap - 1) * w * h
    r3 = (b3 + math.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return max(0, int(min(r1, r2, r3)))


def targets(boxes, classes, grid):
    heat = torch.zeros(classes, grid, grid)
    size, offset, mask = torch.zeros(2, grid, grid), torch.zeros(2, grid, grid), torch.zeros(grid, grid)
    ys, xs = torch.meshgrid(torch.arange(grid, dtype=torch.float32), torch.arange(grid, dtype=torch.float32), indexing="ij")
    for c, x0, y0, x1, y1 in boxes:
        w, h = (x1 - x0) / STRIDE, (y1 - y0) / STRIDE
        cx, cy = (x0 + x1) / 2 / STRIDE, (y0 + y1) / 2 / STRIDE
        ix, iy = min(grid - 1, int(cx)), min(grid - 1, int(cy))
        sigma = (2 * gaussian_radius(math.ceil(h), math.ceil(w)) + 1) / 6
        heat[c] = torch.maximum(heat[c], torch.exp(-((xs - ix) ** 2 + (ys - iy) ** 2) / (2 * sigma ** 2)))
        size[:, iy, ix] = torch.tensor([w, h])
        offset[:, iy, ix] = torch.tensor([cx - ix, cy - iy])
        mask[iy, ix] = 1
    return heat, size, offset, mask


def loss_of(outputs, heat, size, offset, mask):
    logits, size_out, offset_out = outputs
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    positive = heat.eq(1).float()
    positives = max(1.0, positive.sum().item())
    focal = -(positive * (1 - p) ** 2 * torch.log(p) + (1 - positive) * (1 - heat) ** 4 * p ** 2 * torch.log(1 - p)).sum() / positives
    m = mask.unsqueeze(1)
    # CenterNet's normalisation: the mask counts both channels of each object, so the sums are divided by twice the objects.
    objects = max(1.0, mask.sum().item())
    size_loss = F.l1_loss(size_out * m, size * m, reduction="sum") / (2 * objects)
    offset_loss = F.l1_loss(offset_out * m, offset * m, reduction="sum") / (2 * objects)
    return focal + 0.1 * size_loss + offset_loss


def decode(outputs, top=100, threshold=0.01):
    logits, size_out, offset_out = outputs
    heat = torch.sigmoid(logits)
    heat = heat * (F.max_pool2d(heat, 3, 1, 1) == heat).float()
    n, classes, grid, _ = heat.shape
    side = float(grid * STRIDE)  # boxes clipped to the image, as the library clips its own
    results = []
    for i in range(n):
        scores, index = heat[i].reshape(-1).topk(min(top, heat[i].numel()))
        found = []
        for score, k in zip(scores.tolist(), index.tolist()):
            if score < threshold:
                break
            c, cell = divmod(k, grid * grid)
            iy, ix = divmod(cell, grid)
            cx, cy = (ix + offset_out[i, 0, iy, ix].item()) * STRIDE, (iy + offset_out[i, 1, iy, ix].item()) * STRIDE
            w, h = max(0.0, size_out[i, 0, iy, ix].item()) * STRIDE, max(0.0, size_out[i, 1, iy, ix].item()) * STRIDE
            x0, y0 = min(max(cx - w / 2, 0.0), side), min(max(cy - h / 2, 0.0), side)
            found.append((c, score, x0, y0, max(x0, min(cx + w / 2, side)), max(y0, min(cy + h / 2, side))))
        results.append(found)
    return results


def main(data, seed, output, epochs=30, batch=16):
    torch.set_num_threads(2)
    torch.manual_seed(seed)
    random.seed(seed)
    entries, names = read_yaml(os.path.join(data, "data.yaml"))
    root = os.path.join(data, entries.get("path", ".") or ".")
    x, boxes, _ = load_split(root, entries["train"])
    grid = x.shape[-1] // STRIDE
    built = [targets(b, len(names), grid) for b in boxes]
    heat, size, offset, mask = (torch.stack([t[k] for t in built]) for k in range(4))
    model = CenterNet(len(names))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=5e-4)
    steps = epochs * (len(x) // batch)
    if steps == 0:
        raise SystemExit(f"{len(x)} training images make no batch of {batch}")
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    print(f"PyTorch {torch.__version__}, CenterNet-style head on cs3darknet_s, {len(x)} images {x.shape[-1]}, batch {batch}, seed {seed}", file=sys.stderr)
    start = time.perf_counter()
    model.train()
    for epoch in range(1, epochs + 1):
        order, total = torch.randperm(len(x)), 0.0
        for b in range(len(x) // batch):
            index = order[b * batch:(b + 1) * batch]
            loss = loss_of(model(x[index]), heat[index], size[index], offset[index], mask[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item()
        print(f"epoch {epoch}: loss {total / (len(x) // batch):.3f}, {time.perf_counter() - start:.0f} s", file=sys.stderr)
    seconds = time.perf_counter() - start
    model.eval()
    vx, _, files = load_split(root, entries["val"])
    with open(output, "w", encoding="utf-8") as out, torch.no_grad():
        for b in range(0, len(vx), 32):
            for name, found in zip(files[b:b + 32], decode(model(vx[b:b + 32]))):
                for c, score, x0, y0, x1, y1 in found:
                    out.write(f"{name}\t{c}\t{score:.6f}\t{x0:.3f}\t{y0:.3f}\t{x1:.3f}\t{y1:.3f}\n")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10
    print(f"{seconds:.0f}\t{seconds / epochs:.1f}\t{peak}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 4:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 30,
                  int(sys.argv[5]) if len(sys.argv) > 5 else 16))
