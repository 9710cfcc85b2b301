namespace MLNet.CSP.Detection;

/// <summary>
/// YOLOv3's training objective. Each ground-truth box is given to the anchor (of all nine) whose shape fits it best, and to
/// any other whose shape overlaps it by more than <see cref="AnchorThreshold"/> (the authors' cfgs), at the cell holding
/// its centre on that anchor's scale (a later box in the same cell and anchor replaces an earlier one, as in darknet). Objectness is binary cross-entropy against 1 there and 0 elsewhere, except at predictions whose
/// box already overlaps some ground truth by more than <see cref="IgnoreThreshold"/> (not pushed down); classes are
/// binary cross-entropy at the positives; boxes 1 - CIoU (or IoU) at the positives. Objectness is averaged per scale and
/// weighted 4 / 1 / 0.4 (strides 8 / 16 / 32, as YOLOv5), and the terms weighted 1 / 1 / 0.5 (box / objectness / class:
/// on the generated set of the tests, 96 AdamW steps reach a training-set AP50 of 0.68 with YOLOv5's box weight 0.05, 0.93
/// with 0.5, 0.98 with 1 and 0.95 with 2).
/// </summary>
public sealed class DetectionLoss
{
    private static readonly double[] ScaleBalance = [4.0, 1.0, 0.4];

    /// <summary>Creates the objective for a detector's anchors and classes.</summary>
    public DetectionLoss(AnchorBoxes anchors, int numClasses, BoxLossKind boxLoss = BoxLossKind.CIoU, double ignoreThreshold = 0.7, double anchorThreshold = 0.213)
    {
        if (!(anchorThreshold > 0 && anchorThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(anchorThreshold), anchorThreshold, "The anchor threshold is an IoU in (0, 1].");
        AnchorThreshold = anchorThreshold;
        Anchors = anchors ?? throw new ArgumentNullException(nameof(anchors));
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        if (!(ignoreThreshold > 0 && ignoreThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(ignoreThreshold), ignoreThreshold, "The ignore threshold is an IoU in (0, 1].");
        (NumClasses, BoxLoss, IgnoreThreshold) = (numClasses, boxLoss, ignoreThreshold);
    }

    /// <summary>The anchors targets are assigned to.</summary>
    public AnchorBoxes Anchors { get; }

    /// <summary>Object classes.</summary>
    public int NumClasses { get; }

    /// <summary>Box regression loss.</summary>
    public BoxLossKind BoxLoss { get; }

    /// <summary>IoU above which a prediction that is not a positive is not counted as background (darknet's ignore_thresh).</summary>
    public double IgnoreThreshold { get; }

    /// <summary>
    /// Besides its best anchor, a box also trains every other anchor whose shape overlaps its own by more than this IoU (at
    /// that anchor's scale and cell): darknet's <c>iou_thresh</c>, 0.213 in the authors' optimal CSP cfgs; 1 keeps YOLOv3's
    /// single anchor per box.
    /// </summary>
    public double AnchorThreshold { get; }

    /// <summary>Box, objectness and class weights.</summary>
    public (double Box, double Objectness, double Class) Gains { get; init; } = (1.0, 1.0, 0.5);

    /// <summary>The loss of a batch: the total (differentiable) and its three terms (values).</summary>
    /// <param name="outputs">The head's maps for strides 8, 16, 32.</param>
    /// <param name="targets">Each image's objects, boxes in input pixels.</param>
    public (Tensor Total, double Box, double Objectness, double Class) Compute(IReadOnlyList<Tensor> outputs, IReadOnlyList<IReadOnlyList<LabeledBox>> targets)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (outputs.Count != DetectionNeck.OutputStrides.Count) throw new ArgumentException($"Expected {DetectionNeck.OutputStrides.Count} head maps; got {outputs.Count}.", nameof(outputs));
        if (targets.Count != outputs[0].shape[0]) throw new ArgumentException($"The batch has {outputs[0].shape[0]} images but {targets.Count} target lists.", nameof(targets));
        foreach (var image in targets)
            foreach (var box in image)
                if (box.Label < 0 || box.Label >= NumClasses) throw new ArgumentException($"Label {box.Label} is outside 0..{NumClasses - 1}.", nameof(targets));

        using var scope = torch.NewDisposeScope();
        var device = outputs[0].device;
        var assigned = Assign(outputs, targets);
        Tensor boxLoss = torch.zeros(1, device: device), objLoss = torch.zeros(1, device: device), clsLoss = torch.zeros(1, device: device);
        int positives = 0;
        for (int s = 0; s < outputs.Count; s++)
        {
            int stride = DetectionNeck.OutputStrides[s];
            var p = YoloGrid.PerAnchor(outputs[s], AnchorBoxes.PerScale);
            long n = p.shape[0], a = p.shape[1], h = p.shape[2], w = p.shape[3];
            var flat = p.reshape(-1, 5 + NumClasses);
            var objTarget = torch.zeros(n * a * h * w, device: device);
            var weight = Ignored(p, targets, s, stride);
            var cells = assigned[s];
            if (cells.Count > 0)
            {
                var index = torch.tensor(cells.Select(c => ((c.Image * a + c.Anchor) * h + c.Y) * w + c.X).ToArray(), device: device);
                var rows = flat.index_select(0, index);
                var scaleAnchors = Anchors.OfScale(s);
                var anchorWh = torch.tensor(cells.SelectMany(c => new[] { scaleAnchors[c.Anchor].Width, scaleAnchors[c.Anchor].Height }).ToArray(), device: device).view(-1, 2);
                var pred = YoloGrid.Decode(rows[.., ..4], torch.tensor(cells.Select(c => (float)c.X).ToArray(), device: device),
                    torch.tensor(cells.Select(c => (float)c.Y).ToArray(), device: device), anchorWh, stride);
                var truth = torch.tensor(cells.SelectMany(c => new[] { c.Truth.CentreX, c.Truth.CentreY, c.Truth.Width, c.Truth.Height }).ToArray(), device: device).view(-1, 4);
                var iou = BoxIou.Matched(pred, truth, BoxLoss == BoxLossKind.CIoU);
                boxLoss = boxLoss + (1 - iou).sum();
                var oneHot = new float[cells.Count * NumClasses];
                for (int i = 0; i < cells.Count; i++) oneHot[i * NumClasses + cells[i].Truth.Label] = 1;
                var classTarget = torch.tensor(oneHot, device: device).view(cells.Count, NumClasses);
                clsLoss = clsLoss + nn.functional.binary_cross_entropy_with_logits(rows[.., 5..], classTarget, reduction: nn.Reduction.Sum) / NumClasses;
                objTarget.index_fill_(0, index, 1);
                weight.index_fill_(0, index, 1);
                positives += cells.Count;
            }
            var objectness = nn.functional.binary_cross_entropy_with_logits(flat[.., 4], objTarget, weight: weight, reduction: nn.Reduction.Sum);
            objLoss = objLoss + objectness / weight.sum().clamp(min: 1) * ScaleBalance[s];
        }
        if (positives > 0)
        {
            boxLoss = boxLoss / positives;
            clsLoss = clsLoss / positives;
        }
        var total = (Gains.Box * boxLoss + Gains.Objectness * objLoss + Gains.Class * clsLoss).squeeze();
        return (total.MoveToOuterDisposeScope(), boxLoss.item<float>(), objLoss.item<float>(), clsLoss.item<float>());
    }

    /// <summary>1 where a cell counts for objectness, 0 where its prediction overlaps some truth above the ignore threshold.</summary>
    private Tensor Ignored(Tensor perAnchor, IReadOnlyList<IReadOnlyList<LabeledBox>> targets, int scale, int stride)
    {
        using var noGrad = torch.no_grad();
        long n = perAnchor.shape[0];
        var decoded = YoloGrid.ToCorners(YoloGrid.DecodeAll(perAnchor, Anchors.OfScale(scale), stride)).view(n, -1, 4);
        var weight = torch.ones(decoded.shape[0], decoded.shape[1], device: perAnchor.device);
        for (int b = 0; b < n; b++)
        {
            if (targets[b].Count == 0) continue;
            var truth = torch.tensor(targets[b].SelectMany(t => new[] { t.Box.X0, t.Box.Y0, t.Box.X1, t.Box.Y1 }).ToArray(), device: perAnchor.device).view(-1, 4);
            var best = BoxIou.Pairwise(decoded[b], truth).amax([1L]);
            weight[b].masked_fill_(best > IgnoreThreshold, 0);
        }
        return weight.view(-1);
    }

    /// <summary>One positive: image, anchor within the scale, cell, and the truth it regresses to.</summary>
    private readonly record struct Positive(int Image, int Anchor, int X, int Y, TargetBox Truth);

    /// <summary>A truth box in centre form.</summary>
    private readonly record struct TargetBox(float CentreX, float CentreY, float Width, float Height, int Label);

    private List<Positive>[] Assign(IReadOnlyList<Tensor> outputs, IReadOnlyList<IReadOnlyList<LabeledBox>> targets)
    {
        var perScale = outputs.Select(_ => new Dictionary<(int, int, int, int), Positive>()).ToArray();
        for (int b = 0; b < targets.Count; b++)
        {
            foreach (var t in targets[b])
            {
                float w = t.Box.Width, h = t.Box.Height;
                if (!(w > 0) || !(h > 0)) continue;
                int best = Anchors.BestAnchor(w, h);
                float cx = t.Box.X0 + w / 2, cy = t.Box.Y0 + h / 2;
                for (int index = 0; index < Anchors.Sizes.Count; index++)
                {
                    if (index != best && AnchorBoxes.ShapeIou((w, h), Anchors.Sizes[index]) <= AnchorThreshold) continue;
                    int s = index / AnchorBoxes.PerScale, anchor = index % AnchorBoxes.PerScale;
                    int stride = DetectionNeck.OutputStrides[s];
                    int gx = Math.Clamp((int)Math.Floor(cx / stride), 0, (int)outputs[s].shape[3] - 1);
                    int gy = Math.Clamp((int)Math.Floor(cy / stride), 0, (int)outputs[s].shape[2] - 1);
                    perScale[s][(b, anchor, gy, gx)] = new Positive(b, anchor, gx, gy, new TargetBox(cx, cy, w, h, t.Label));
                }
            }
        }
        return [.. perScale.Select(d => d.Values.ToList())];
    }
}
