"""The PyTorch peer of the trainer-speed benchmark (docs/benchmarks.md, "Training throughput against PyTorch").

cs3darknet_s and cspresnet50 written out in plain PyTorch with timm's module names, so a state dict the library writes loads with
strict=True (the check that it is the same network), trained as the issue's peer: images decoded, resized and
normalised once into one tensor in memory, AdamW, label smoothing 0.1, a shuffled epoch of full batches.

  python3 pytorch_peer.py check WEIGHTS_AND_IO.pth      # same logits as the library's forward? (either network)
  python3 pytorch_peer.py train FOLDER EPOCHS [BATCH] [SIZE] [MODEL]  # images/s per epoch, 2 threads; MODEL cs3darknet_s (default) or cspresnet50
"""
import os
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvNormAct(nn.Module):
    def __init__(self, cin, cout, k, stride=1, act=True, leaky=False):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = act
        self.leaky = leaky

    def forward(self, x):
        x = self.bn(self.conv(x))
        if not self.act:
            return x
        return F.leaky_relu(x, 0.01) if self.leaky else F.silu(x)


class DarkBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = ConvNormAct(channels, channels, 1)
        self.conv2 = ConvNormAct(channels, channels, 3)

    def forward(self, x):
        return self.conv2(self.conv1(x)) + x


class CrossStage3(nn.Module):
    """Down-sampling 3x3, 1x1 expansion, half through the dark blocks, concat with the other half, 1x1 transition."""

    def __init__(self, cin, cout, depth):
        super().__init__()
        self.conv_down = ConvNormAct(cin, cin, 3, 2)
        self.conv_exp = ConvNormAct(cin, cout, 1)
        self.blocks = nn.Sequential(*[DarkBlock(cout // 2) for _ in range(depth)])
        self.conv_transition = ConvNormAct(cout, cout, 1)

    def forward(self, x):
        x = self.conv_exp(self.conv_down(x))
        a, b = x.split(x.shape[1] // 2, dim=1)
        return self.conv_transition(torch.cat([self.blocks(a), b], dim=1))


class Stem(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = ConvNormAct(3, 16, 3, 2)
        self.conv2 = ConvNormAct(16, 32, 3, 1)

    def forward(self, x):
        return self.conv2(self.conv1(x))


class Head(nn.Module):
    def __init__(self, features, classes):
        super().__init__()
        self.fc = nn.Linear(features, classes)

    def forward(self, x):
        return self.fc(x.mean((2, 3)))


class Cs3DarkNetS(nn.Module):
    """cs3darknet_s: width 0.5, depth 0.5 of cs3darknet_l (stages 64/128/256/512 channels, 1/3/4/1 dark blocks)."""

    def __init__(self, classes):
        super().__init__()
        self.stem = Stem()
        channels, stages = 32, []
        for out, depth in [(64, 1), (128, 3), (256, 4), (512, 1)]:
            stages.append(CrossStage3(channels, out, depth))
            channels = out
        self.stages = nn.Sequential(*stages)
        self.head = Head(channels, classes)

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


class Bottleneck(nn.Module):
    """timm's BottleneckBlock in cspresnet50: 1x1 down to half, 3x3, 1x1 back without activation, residual, LeakyReLU."""

    def __init__(self, channels):
        super().__init__()
        self.conv1 = ConvNormAct(channels, channels // 2, 1, leaky=True)
        self.conv2 = ConvNormAct(channels // 2, channels // 2, 3, leaky=True)
        self.conv3 = ConvNormAct(channels // 2, channels, 1, act=False)

    def forward(self, x):
        return F.leaky_relu(self.conv3(self.conv2(self.conv1(x))) + x, 0.01)


class CrossStage(nn.Module):
    """timm's CrossStage with expand ratio 2 and a linear expansion (cross_linear): optional 3x3 stride-2 down-sampling, 1x1
    expansion to twice the output, half through the bottlenecks and a 1x1 transition, concat with the other half, 1x1 transition."""

    def __init__(self, cin, cout, depth, stride):
        super().__init__()
        expanded = 2 * cout
        self.conv_down = ConvNormAct(cin, cin, 3, stride, leaky=True) if stride != 1 else nn.Identity()
        self.conv_exp = ConvNormAct(cin, expanded, 1, act=False)
        self.blocks = nn.Sequential(*[Bottleneck(cout) for _ in range(depth)])
        self.conv_transition_b = ConvNormAct(cout, cout, 1, leaky=True)
        self.conv_transition = ConvNormAct(expanded, cout, 1, leaky=True)

    def forward(self, x):
        x = self.conv_exp(self.conv_down(x))
        skip, through = x.split(x.shape[1] // 2, dim=1)
        through = self.conv_transition_b(self.blocks(through))
        return self.conv_transition(torch.cat([skip, through], dim=1))


class CspResNetStem(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = ConvNormAct(3, 64, 7, 2, leaky=True)
        self.pool = nn.MaxPool2d(3, 2, 1)

    def forward(self, x):
        return self.pool(self.conv1(x))


class CspResNet50(nn.Module):
    """cspresnet50: stages 128/256/512/1024 channels with 3/3/5/2 bottlenecks, the first without down-sampling."""

    def __init__(self, classes):
        super().__init__()
        self.stem = CspResNetStem()
        channels, stages = 64, []
        for index, (out, depth) in enumerate([(128, 3), (256, 3), (512, 5), (1024, 2)]):
            stages.append(CrossStage(channels, out, depth, 1 if index == 0 else 2))
            channels = out
        self.stages = nn.Sequential(*stages)
        self.head = Head(channels, classes)

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


MODELS = {"cs3darknet_s": Cs3DarkNetS, "cspresnet50": CspResNet50}


def check(path):
    saved = torch.load(path)
    network = CspResNet50 if "stem.conv1.conv.weight" in saved and saved["stem.conv1.conv.weight"].shape[-1] == 7 else Cs3DarkNetS
    model = network(saved["head.fc.weight"].shape[0])
    weights = {k: v for k, v in saved.items() if k not in ("input", "logits")}
    model.load_state_dict(weights, strict=True)
    model.eval()
    with torch.no_grad():
        logits = model(saved["input"])
    diff = (logits - saved["logits"]).abs().max().item()
    scale = saved["logits"].abs().max().item()
    print(f"check {network.__name__}: {len(weights)} tensors loaded strictly; largest logit difference {diff:.2e} (largest logit {scale:.3f})")
    return 0 if diff <= 1e-4 * max(1.0, scale) else 1


def load_folder(folder, size):
    """Every PNG under FOLDER/<class>/ as RGB, resized to SIZE x SIZE (bicubic), ImageNet-normalised, in one tensor."""
    from PIL import Image
    import numpy as np

    classes = sorted(os.listdir(folder))
    images, labels = [], []
    for index, name in enumerate(classes):
        for file in sorted(os.listdir(os.path.join(folder, name))):
            with Image.open(os.path.join(folder, name, file)) as image:
                rgb = image.convert("RGB").resize((size, size), Image.BICUBIC)
            images.append(torch.from_numpy(np.asarray(rgb, dtype=np.float32).copy()).permute(2, 0, 1) / 255.0)
            labels.append(index)
    x = torch.stack(images)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return (x - mean) / std, torch.tensor(labels), len(classes)


def train(folder, epochs, batch, size, name):
    torch.set_num_threads(2)
    torch.manual_seed(1)
    random.seed(1)
    x, y, classes = load_folder(folder, size)
    model = MODELS[name](classes)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05)
    print(f"PyTorch {torch.__version__}, {name}, {torch.get_num_threads()} threads, {len(y)} images {size}x{size}, batch {batch}")
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(y))
        start, seen = time.perf_counter(), 0
        for b in range(len(y) // batch):
            index = order[b * batch:(b + 1) * batch]
            loss = F.cross_entropy(model(x[index]), y[index], label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen += batch
        elapsed = time.perf_counter() - start
        print(f"pytorch: epoch {epoch}: {seen / elapsed:.1f} images/s, {elapsed:.1f} s, loss {loss.item():.3f}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) >= 4 and sys.argv[1] == "train":
        sys.exit(train(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 64,
                       int(sys.argv[5]) if len(sys.argv) > 5 else 32, sys.argv[6] if len(sys.argv) > 6 else "cs3darknet_s"))
    print(__doc__)
    sys.exit(2)
