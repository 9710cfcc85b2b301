using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Detection;
using MLNet.CSP.Detection.Evaluation;
using MLNet.CSP.Models;
using MLNet.CSP.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Detection;

/// <summary>The detector network: every backbone under every neck, its fast path, target assignment, and that model, loss and decoder agree (it learns a small set).</summary>
[TestClass]
[TestCategory("Slow")]
public sealed class DetectorTests
{
    public static IEnumerable<object[]> AllNames => Backbones.Names.Select(n => new object[] { n });

    public static IEnumerable<object[]> AllNecks => Enum.GetValues<NeckKind>().Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(AllNames))]
    public void EveryBackboneCarriesAnEfmDetector(string name)
    {
        torch.manual_seed(1);
        using var detector = new CspDetector(name, 3, NeckKind.Efm, AnchorBoxes.CocoFor(128), 128);
        detector.eval();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var outputs = detector.call(torch.randn(1, 3, 128, 96));
        CollectionAssert.AreEqual(new long[] { 1, 24, 16, 12 }, outputs[0].shape, "Stride 8, 3 anchors x (5 + 3).");
        CollectionAssert.AreEqual(new long[] { 1, 24, 8, 6 }, outputs[1].shape);
        CollectionAssert.AreEqual(new long[] { 1, 24, 4, 3 }, outputs[2].shape);
        Assert.IsTrue(outputs.All(o => o.isfinite().all().item<bool>()));

        using var plain = Backbones.Create(name, numClasses: 0);
        var expected = plain.state_dict().Keys.Select(k => "backbone." + k).ToList();
        var keys = detector.state_dict().Keys.ToList();
        CollectionAssert.AreEqual(expected, keys.Where(k => k.StartsWith("backbone.", StringComparison.Ordinal)).ToList(), "The backbone keeps its own keys, no classifier.");
        Assert.IsTrue(keys.All(k => k.StartsWith("backbone.", StringComparison.Ordinal) || k.StartsWith("neck.", StringComparison.Ordinal) || k.StartsWith("head.", StringComparison.Ordinal)));
    }

    [TestMethod]
    [DynamicData(nameof(AllNecks))]
    public void FastPathEqualsTheEvalForward(NeckKind neck)
    {
        torch.manual_seed(2);
        using var detector = new CspDetector("cs3darknet_s", 2, neck, AnchorBoxes.CocoFor(96), 96);
        ModelRandomisation.RandomiseBatchNorms(detector);
        detector.eval();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = torch.randn(2, 3, 96, 96);
        var plain = detector.call(x).Select(t => t.clone()).ToList();
        detector.OptimizeForInference();
        var fast = detector.call(x);
        for (int s = 0; s < 3; s++)
            Assert.IsTrue(Compare.TensorRelativeL2(fast[s], plain[s]) < 1e-4, $"{neck} scale {s}: {Compare.TensorRelativeL2(fast[s], plain[s])}");
        detector.train();
        var again = detector.call(x);
        Assert.AreEqual(3, again.Count, "Training mode runs without the folded weights.");
    }

    [TestMethod]
    public void EachBoxTrainsTheCellAndAnchorThatFitIt()
    {
        var anchors = AnchorBoxes.CocoFor(416);
        // A box the exact size of anchor 4 (62 x 45, the middle of stride 16), centred at (205, 118): cell (12, 7), off the
        // cell's centre so that the untrained (all-zero) prediction there is not already exact.
        var box = new LabeledBox(new BoundingBox(205 - 31, 118 - 22.5f, 205 + 31, 118 + 22.5f), 1);
        Assert.AreEqual(4, anchors.BestAnchor(62, 45));
        var outputs = new[] { (52, 52), (26, 26), (13, 13) }.Select(s => torch.zeros(1, 3 * 7, s.Item1, s.Item2).requires_grad_()).ToList();
        var loss = new DetectionLoss(anchors, 2, anchorThreshold: 1).Compute(outputs, [[box]]);
        loss.Total.backward();
        // Class and box gradients appear at stride 16, anchor 1 (4 % 3), row 7, column 12 only.
        using var g = outputs[1].grad!.view(3, 7, 26, 26);
        using var classGrad = g[.., 5..].abs().sum(1);
        using var boxGrad = g[.., ..4].abs().sum(1);
        Assert.IsTrue(classGrad[1, 7, 12].item<float>() > 0);
        Assert.AreEqual(classGrad[1, 7, 12].item<float>(), classGrad.sum().item<float>(), 1e-7);
        Assert.IsTrue(boxGrad[1, 7, 12].item<float>() > 0);
        Assert.AreEqual(boxGrad[1, 7, 12].item<float>(), boxGrad.sum().item<float>(), 1e-7);
        Assert.AreEqual(0, outputs[0].grad!.view(3, 7, 52, 52)[.., 5..].abs().sum().item<float>(), "No class gradient on the other scales.");
        Assert.IsTrue(outputs[0].grad!.view(3, 7, 52, 52)[.., 4].abs().sum().item<float>() > 0, "Background objectness everywhere.");
        foreach (var o in outputs) o.Dispose();
        loss.Total.Dispose();
    }

    [TestMethod]
    public void TheAuthorsThresholdAlsoTrainsEveryAnchorOfASimilarShape()
    {
        var anchors = AnchorBoxes.CocoFor(416);
        // 62 x 45 overlaps anchors 2 (33 x 23: 0.27), 3 (30 x 61: 0.41), 4 (itself), 5 (59 x 119: 0.37) and 6 (116 x 90: 0.27) by more than 0.213.
        var expected = Enumerable.Range(0, 9).Where(i => i == 4 || AnchorBoxes.ShapeIou((62, 45), anchors.Sizes[i]) > 0.213).ToArray();
        CollectionAssert.AreEqual(new[] { 2, 3, 4, 5, 6 }, expected);
        var box = new LabeledBox(new BoundingBox(205 - 31, 118 - 22.5f, 205 + 31, 118 + 22.5f), 0);
        var sizes = new[] { 52, 26, 13 };
        var outputs = sizes.Select(s => torch.zeros(1, 3 * 6, s, s).requires_grad_()).ToList();
        var loss = new DetectionLoss(anchors, 1).Compute(outputs, [[box]]);
        loss.Total.backward();
        var positives = new List<int>();
        for (int s = 0; s < 3; s++)
        {
            using var g = outputs[s].grad!.view(3, 6, sizes[s], sizes[s]);
            for (int a = 0; a < 3; a++)
                if (g[a, ..4].abs().sum().item<float>() > 0) positives.Add(3 * s + a);
        }
        CollectionAssert.AreEqual(expected, positives, "Box gradients at exactly those anchors.");
        foreach (var o in outputs) o.Dispose();
        loss.Total.Dispose();
    }

    [TestMethod]
    public void DecoderPlacesAConfidentCellWhereTheCodingSays()
    {
        var anchors = AnchorBoxes.CocoFor(128);
        using var s8 = torch.full(1, 3 * 6, 16, 16, -20f);
        using var s16 = torch.full(1, 3 * 6, 8, 8, -20f);
        using var s32 = torch.full(1, 3 * 6, 4, 4, -20f);
        // Anchor 2 of stride 8, row 5, column 9: tx = ty = 0 (centre of the cell), tw = th = 0 (the anchor's size), object and class 0.
        using var view = s8.view(3, 6, 16, 16);
        view[2, 0..4, 5, 9] = torch.zeros(4);
        view[2, 4, 5, 9] = torch.tensor(10f);
        view[2, 5, 5, 9] = torch.tensor(10f);
        var decoder = new DetectionDecoder(anchors, 1, scoreThreshold: 0.5f);
        var found = decoder.Decode([s8, s16, s32], 128, 128).Single();
        Assert.AreEqual(1, found.Count);
        var (w, h) = anchors.OfScale(0)[2];
        float cx = (9 + 0.5f) * 8, cy = (5 + 0.5f) * 8;
        Assert.AreEqual(cx - w / 2, found[0].Box.X0, 1e-3);
        Assert.AreEqual(cy - h / 2, found[0].Box.Y0, 1e-3);
        Assert.AreEqual(cx + w / 2, found[0].Box.X1, 1e-3);
        Assert.AreEqual(0, found[0].Label);
        Assert.AreEqual(1 / (1 + Math.Exp(-10)) * (1 / (1 + Math.Exp(-10))), found[0].Score, 1e-5);
    }

    [TestMethod]
    [DynamicData(nameof(AllNecks))]
    public void LearnsASmallSetThroughLossAndDecoder(NeckKind neck)
    {
        // Two 128x128 images with bright rectangles of two classes on noise; the network must find them (COCO AP50).
        torch.manual_seed(7);
        var targets = new List<IReadOnlyList<LabeledBox>>
        {
            new[] { new LabeledBox(new BoundingBox(10, 12, 50, 60), 0), new LabeledBox(new BoundingBox(70, 64, 118, 100), 1) },
            new[] { new LabeledBox(new BoundingBox(40, 30, 100, 110), 1) },
        };
        using var images = torch.rand(2, 3, 128, 128) * 0.2f;
        for (int b = 0; b < 2; b++)
            foreach (var t in targets[b])
                images[b, t.Label, (int)t.Box.Y0..(int)t.Box.Y1, (int)t.Box.X0..(int)t.Box.X1] = torch.tensor(1f);

        var anchors = AnchorBoxes.CocoFor(128);
        using var detector = new CspDetector("cs3darknet_s", 2, neck, anchors, 128);
        var loss = new DetectionLoss(anchors, 2);
        using var optimizer = torch.optim.AdamW(detector.parameters(), lr: 2e-3, weight_decay: 0);
        detector.train();
        double first = 0, last = 0;
        for (int step = 0; step < 120; step++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var (total, _, _, _) = loss.Compute(detector.call(images), targets);
            total.backward();
            optimizer.step();
            if (step == 0) first = total.item<float>();
            last = total.item<float>();
        }
        Assert.IsTrue(last < first / 4, $"{neck}: loss {first:0.000} -> {last:0.000}");

        // Decoded with the batch's own BatchNorm statistics, as trained: with 2 images the running statistics of the
        // stride-32 maps (4 x 4) differ from them by the unbiased-variance factor compounded over dozens of layers
        // (0.1 relative at the backbone's last map), which a deep neck overfitted to 2 images amplifies. Eval mode and
        // the fast path have their own equality test above.
        using var noGrad = torch.no_grad();
        using var evalScope = torch.NewDisposeScope();
        var found = new DetectionDecoder(anchors, 2, scoreThreshold: 0.05f).Decode(detector.call(images), 128, 128);
        var metrics = CocoEvaluator.Evaluate(targets, found);
        Assert.IsTrue(metrics.AveragePrecision50 > 0.99, $"{neck}: AP50 {metrics.AveragePrecision50:0.000}, mAP {metrics.MeanAveragePrecision:0.000}\n{metrics}");
    }
}
