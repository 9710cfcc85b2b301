#!/usr/bin/env python3
"""Writes a realistic box-detection case and its COCO metrics, for CocoEvaluatorTests.

Usage: python3 tools/make-coco-reference.py tests/MLNet.CSP.Tests/TestData/coco/reference.json

The case (seeded): 40 images of 640x480, 4 classes, 0-12 objects per image of every size range, and per image
detections that mix matches of varying quality, duplicates, misplaced and spurious boxes, more than 100 of them in
some images, with scores rounded to two decimals so that many tie.

The metrics come from pycocotools' COCOeval (iouType 'bbox') when it can be imported. Where it cannot (it is not
packaged for Debian 12 and PyPI is not reachable from the build machines), from `coco_eval` below: COCOeval's
evaluate/accumulate/summarize steps for boxes, written out in plain Python (stable score sort with ties in input
order, greedy matching that prefers unignored ground truth, 101-point interpolated precision, area ranges 32^2 and
96^2, maxDets 1/10/100, classes without ground truth left out). The file records which one made it.
"""
import json
import random
import sys



def linspace(start, stop, count):
    """np.linspace's values: start + i * step with step = (stop - start) / (count - 1), the last one exactly stop."""
    step = (stop - start) / (count - 1)
    return [i * step + start for i in range(count - 1)] + [stop]


IOU_THRESHOLDS = linspace(0.5, 0.95, 10)
RECALL_THRESHOLDS = linspace(0.0, 1.0, 101)
MAX_DETS = [1, 10, 100]
AREAS = [(0, 1e5 ** 2), (0, 32 ** 2), (32 ** 2, 96 ** 2), (96 ** 2, 1e5 ** 2)]
EPS = 2.220446049250313e-16  # np.spacing(1)


def q(v):
    """A quarter pixel: coordinates that float32 and float64 hold exactly, so both sides compute from the same boxes."""
    return round(v * 4) / 4


def make_case(seed=20261207):
    rnd = random.Random(seed)
    images = []
    for _ in range(40):
        gt = []
        for _ in range(rnd.randint(0, 12)):
            kind = rnd.random()
            side = rnd.uniform(8, 30) if kind < 0.3 else rnd.uniform(33, 95) if kind < 0.7 else rnd.uniform(100, 300)
            w, h = side * rnd.uniform(0.6, 1.4), side * rnd.uniform(0.6, 1.4)
            x, y = rnd.uniform(0, 640 - w), rnd.uniform(0, 480 - h)
            gt.append([rnd.randrange(4), q(x), q(y), q(x + w), q(y + h)])
        dt = []
        for label, x0, y0, x1, y1 in gt:
            for _ in range(rnd.choice([0, 1, 1, 1, 2, 3])):  # missed, found, duplicated
                w, h = x1 - x0, y1 - y0
                jitter = rnd.choice([0.02, 0.08, 0.2, 0.45])
                nx0 = x0 + rnd.gauss(0, jitter * w)
                ny0 = y0 + rnd.gauss(0, jitter * h)
                nw, nh = w * (1 + rnd.gauss(0, jitter)), h * (1 + rnd.gauss(0, jitter))
                if q(nx0 + nw) - q(nx0) < 1 or q(ny0 + nh) - q(ny0) < 1:
                    continue
                wrong = rnd.random() < 0.1
                dt.append([rnd.randrange(4) if wrong else label, round(rnd.uniform(0.05, 1.0), 2),
                           q(nx0), q(ny0), q(nx0 + nw), q(ny0 + nh)])
        for _ in range(rnd.choice([0, 3, 10, 40, 130])):  # spurious boxes: some images get more than 100 detections
            w, h = rnd.uniform(5, 200), rnd.uniform(5, 200)
            x, y = rnd.uniform(0, 640 - w), rnd.uniform(0, 480 - h)
            dt.append([rnd.randrange(4), round(rnd.uniform(0.0, 0.6), 2), q(x), q(y), q(x + w), q(y + h)])
        rnd.shuffle(dt)
        images.append({"groundTruth": gt, "detections": dt})
    return images


def iou(d, g):
    iw = min(d[2], g[2]) - max(d[0], g[0])
    ih = min(d[3], g[3]) - max(d[1], g[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / ((d[2] - d[0]) * (d[3] - d[1]) + (g[2] - g[0]) * (g[3] - g[1]) - inter)


def area(b):
    return (b[2] - b[0]) * (b[3] - b[1])


def evaluate_image(gts, dts, rng, max_det):
    """COCOeval.evaluateImg for one image and class: None when both are empty."""
    if not gts and not dts:
        return None
    ignore = [0 if rng[0] <= area(g) <= rng[1] else 1 for g in gts]
    order = sorted(range(len(gts)), key=lambda i: ignore[i])  # stable: unignored first
    gts = [gts[i] for i in order]
    ignore = [ignore[i] for i in order]
    dts = sorted(dts, key=lambda d: -d["score"])[:max_det]  # stable
    T, D, G = len(IOU_THRESHOLDS), len(dts), len(gts)
    gtm = [[-1] * G for _ in range(T)]
    dtm = [[-1] * D for _ in range(T)]
    dt_ig = [[0] * D for _ in range(T)]
    for t, threshold in enumerate(IOU_THRESHOLDS):
        for di, d in enumerate(dts):
            best, m = min(threshold, 1 - 1e-10), -1
            for gi, g in enumerate(gts):
                if gtm[t][gi] >= 0:
                    continue
                if m > -1 and ignore[m] == 0 and ignore[gi] == 1:
                    break
                o = iou(d["box"], g)
                if o < best:
                    continue
                best, m = o, gi
            if m == -1:
                continue
            dt_ig[t][di] = ignore[m]
            dtm[t][di] = m
            gtm[t][m] = di
    out_of_range = [not (rng[0] <= area(d["box"]) <= rng[1]) for d in dts]
    for t in range(T):
        for di in range(D):
            if dtm[t][di] == -1 and out_of_range[di]:
                dt_ig[t][di] = 1
    return {"scores": [d["score"] for d in dts], "matched": dtm, "ignored": dt_ig, "gt_ignore": ignore}


def coco_eval(images):
    classes = sorted({g[0] for im in images for g in im["groundTruth"]} | {d[0] for im in images for d in im["detections"]})
    T, R, K, A, M = len(IOU_THRESHOLDS), len(RECALL_THRESHOLDS), len(classes), len(AREAS), len(MAX_DETS)
    precision = [[[[[-1.0] * M for _ in range(A)] for _ in range(K)] for _ in range(R)] for _ in range(T)]
    recall = [[[[-1.0] * M for _ in range(A)] for _ in range(K)] for _ in range(T)]
    for k, c in enumerate(classes):
        for a, rng in enumerate(AREAS):
            evals = []
            for im in images:
                gts = [g[1:] for g in im["groundTruth"] if g[0] == c]
                dts = [{"score": d[1], "box": d[2:]} for d in im["detections"] if d[0] == c]
                e = evaluate_image(gts, dts, rng, MAX_DETS[-1])
                if e is not None:
                    evals.append(e)
            npig = sum(1 for e in evals for g in e["gt_ignore"] if g == 0)
            if npig == 0:
                continue
            for m, max_det in enumerate(MAX_DETS):
                rows = [(e["scores"][i], [e["matched"][t][i] for t in range(T)], [e["ignored"][t][i] for t in range(T)])
                        for e in evals for i in range(min(max_det, len(e["scores"])))]
                rows = sorted(rows, key=lambda r: -r[0])  # stable, like np.argsort(kind='mergesort')
                for t in range(T):
                    tp = fp = 0
                    rc, pr = [], []
                    # An ignored detection is neither a true nor a false positive but keeps its place in the cumulative sums.
                    tps = [(1 if (r[1][t] >= 0 and not r[2][t]) else 0) for r in rows]
                    fps = [(1 if (r[1][t] < 0 and not r[2][t]) else 0) for r in rows]
                    for x, y in zip(tps, fps):
                        tp += x
                        fp += y
                        rc.append(tp / npig)
                        pr.append(tp / (fp + tp + EPS))
                    recall[t][k][a][m] = rc[-1] if rows else 0.0
                    for i in range(len(pr) - 1, 0, -1):
                        if pr[i] > pr[i - 1]:
                            pr[i - 1] = pr[i]
                    for ri, threshold in enumerate(RECALL_THRESHOLDS):
                        lo, hi = 0, len(rc)
                        while lo < hi:  # np.searchsorted(rc, threshold, side='left')
                            mid = (lo + hi) // 2
                            if rc[mid] < threshold:
                                lo = mid + 1
                            else:
                                hi = mid
                        precision[t][ri][k][a][m] = pr[lo] if lo < len(pr) else 0.0
    def mean(values):
        kept = [v for v in values if v > -1]
        return sum(kept) / len(kept) if kept else -1.0

    def ap(a, m, t=None, k=None):
        ts = range(T) if t is None else [t]
        ks = range(K) if k is None else [k]
        return mean([precision[ti][r][ki][a][m] for ti in ts for r in range(R) for ki in ks])

    def ar(a, m):
        return mean([recall[t][k][a][m] for t in range(T) for k in range(K)])

    return {
        "MeanAveragePrecision": ap(0, 2), "AveragePrecision50": ap(0, 2, t=0), "AveragePrecision75": ap(0, 2, t=5),
        "AveragePrecisionSmall": ap(1, 2), "AveragePrecisionMedium": ap(2, 2), "AveragePrecisionLarge": ap(3, 2),
        "AverageRecall1": ar(0, 0), "AverageRecall10": ar(0, 1), "AverageRecall100": ar(0, 2),
        "AverageRecallSmall": ar(1, 2), "AverageRecallMedium": ar(2, 2), "AverageRecallLarge": ar(3, 2),
        "PerClassAveragePrecision": {str(c): ap(0, 2, k=k) for k, c in enumerate(classes)},
    }


def pycocotools_eval(images):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    classes = sorted({g[0] for im in images for g in im["groundTruth"]} | {d[0] for im in images for d in im["detections"]})
    gt = {"images": [{"id": i + 1, "width": 640, "height": 480} for i in range(len(images))],
          "categories": [{"id": c + 1} for c in classes], "annotations": []}
    dets = []
    for i, im in enumerate(images):
        for label, x0, y0, x1, y1 in im["groundTruth"]:
            gt["annotations"].append({"id": len(gt["annotations"]) + 1, "image_id": i + 1, "category_id": label + 1, "iscrowd": 0,
                                      "bbox": [x0, y0, x1 - x0, y1 - y0], "area": (x1 - x0) * (y1 - y0)})
        for label, score, x0, y0, x1, y1 in im["detections"]:
            dets.append({"image_id": i + 1, "category_id": label + 1, "score": score, "bbox": [x0, y0, x1 - x0, y1 - y0]})
    coco = COCO()
    coco.dataset = gt
    coco.createIndex()
    e = COCOeval(coco, coco.loadRes(dets), "bbox")
    e.evaluate()
    e.accumulate()
    e.summarize()
    s = e.stats
    names = ["MeanAveragePrecision", "AveragePrecision50", "AveragePrecision75", "AveragePrecisionSmall", "AveragePrecisionMedium",
             "AveragePrecisionLarge", "AverageRecall1", "AverageRecall10", "AverageRecall100", "AverageRecallSmall",
             "AverageRecallMedium", "AverageRecallLarge"]
    result = {n: float(v) for n, v in zip(names, s)}
    p = e.eval["precision"][:, :, :, 0, 2]
    result["PerClassAveragePrecision"] = {str(c): float(p[:, :, k][p[:, :, k] > -1].mean()) for k, c in enumerate(classes)}
    return result


def main():
    images = make_case()
    try:
        metrics, source = pycocotools_eval(images), "pycocotools COCOeval"
    except ImportError:
        metrics, source = coco_eval(images), "tools/make-coco-reference.py coco_eval (pycocotools not installed)"
    out = {"source": source, "images": images, "metrics": metrics}
    with open(sys.argv[1], "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
    dets = [len(im["detections"]) for im in images]
    print(f"{len(images)} images, {sum(len(im['groundTruth']) for im in images)} objects, {sum(dets)} detections "
          f"(most in one image {max(dets)}); metrics from {source}")
    print(json.dumps({k: v for k, v in metrics.items() if k != "PerClassAveragePrecision"}, indent=1))


if __name__ == "__main__":
    main()
