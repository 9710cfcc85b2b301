"""The PyTorch + timm peer of the GPU kit's checks (tools/gpu/README.md), on the same images and GPU as GpuCheck.

  python3 peer_gpu.py train FOLDER MODEL SIZE BATCH EPOCHS   images/s per epoch (AdamW, label smoothing 0.1), accuracy
  python3 peer_gpu.py featurize FOLDER MODEL SIZE BATCH      pooled-feature images/s (eval, no_grad) from images on the GPU
  python3 peer_gpu.py bf16 MODEL SIZE BATCH                  forward images/s in float32 and under bfloat16 autocast
Each measurement is one "RESULT {json}" line, as GpuCheck writes.
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F
import timm

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "MLNet.CSP.Benchmarks", "peer"))
from pytorch_peer import load_folder  # noqa: E402  (the same decoding, resizing and normalisation on CPU and GPU)


def result(kind, values):
    print("RESULT " + json.dumps({"check": kind, "values": values}), flush=True)


def load(folder, size):
    """The images as the CPU peer loads them (tests/MLNet.CSP.Benchmarks/peer), moved to the GPU."""
    x, y, classes = load_folder(folder, size)
    return x.cuda(), y.cuda(), classes


def train(folder, model_name, size, batch, epochs):
    torch.manual_seed(1)
    x, y, classes = load(folder, size)
    order = torch.randperm(len(y), device="cuda")
    test = order[: len(y) // 5]
    train_index = order[len(y) // 5:]
    model = timm.create_model(model_name, num_classes=classes).cuda().train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05)
    rates = []
    for epoch in range(1, epochs + 1):
        shuffled = train_index[torch.randperm(len(train_index), device="cuda")]
        torch.cuda.synchronize()
        start, seen = time.perf_counter(), 0
        for b in range(len(shuffled) // batch):
            index = shuffled[b * batch:(b + 1) * batch]
            loss = F.cross_entropy(model(x[index]), y[index], label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            seen += batch
        torch.cuda.synchronize()
        rate = seen / (time.perf_counter() - start)
        rates.append(rate)
        result("epoch", {"model": model_name, "size": size, "batch": batch, "device": "cuda", "epoch": epoch, "imagesPerSecond": rate, "peer": "pytorch"})
    model.eval()
    with torch.no_grad():
        correct = sum((model(x[test[i:i + 256]]).argmax(1) == y[test[i:i + 256]]).sum().item() for i in range(0, len(test), 256))
    result("train", {"model": model_name, "size": size, "batch": batch, "epochs": epochs, "device": "cuda", "peer": "pytorch",
                     "slowestOfEpochs2On": min(rates[1:] or rates), "accuracy": correct / len(test),
                     "torch": torch.__version__, "timm": timm.__version__, "gpu": torch.cuda.get_device_name()})


def featurize(folder, model_name, size, batch):
    x, _, _ = load(folder, size)
    model = timm.create_model(model_name, num_classes=0).cuda().eval()
    rates = []
    with torch.no_grad():
        for _ in range(4):
            torch.cuda.synchronize()
            start = time.perf_counter()
            for i in range(0, len(x), batch):
                model(x[i:i + batch]).cpu()
            torch.cuda.synchronize()
            rates.append(len(x) / (time.perf_counter() - start))
    result("featurize", {"model": model_name, "size": size, "batch": batch, "device": "cuda", "peer": "pytorch", "imagesPerSecond": sorted(rates[1:])[1]})


def bf16(model_name, size, batch):
    model = timm.create_model(model_name).cuda().eval()
    x = torch.randn(batch, 3, size, size, device="cuda")
    for dtype in ("float32", "bfloat16"):
        def run():
            torch.cuda.synchronize()
            start = time.perf_counter()
            with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=dtype == "bfloat16"):
                for _ in range(10):
                    model(x)
            torch.cuda.synchronize()
            return 10 * batch / (time.perf_counter() - start)
        run()
        result("forward", {"model": model_name, "size": size, "batch": batch, "device": "cuda", "peer": "pytorch", "dtype": dtype, "imagesPerSecond": max(run(), run())})


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[:1] == ["train"] and len(a) == 6:
        train(a[1], a[2], int(a[3]), int(a[4]), int(a[5]))
    elif a[:1] == ["featurize"] and len(a) == 5:
        featurize(a[1], a[2], int(a[3]), int(a[4]))
    elif a[:1] == ["bf16"] and len(a) == 4:
        bf16(a[1], int(a[2]), int(a[3]))
    else:
        print(__doc__)
        sys.exit(2)
