using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Detection;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Detection;

/// <summary>Maxout against darknet's loop definition; NMS against a brute-force reading of its rule.</summary>
[TestClass]
public sealed class MaxoutAndNmsTests
{
    [TestMethod]
    public void MaxoutTakesTheMaximumOverInterleavedChannelGroups()
    {
        torch.manual_seed(3);
        using var x = torch.randn(2, 12, 3, 4);
        using var y = Maxout.Forward(x, 4);
        CollectionAssert.AreEqual(new long[] { 2, 4, 3, 4 }, y.shape);
        var xs = x.data<float>().ToArray();
        var ys = y.data<float>().ToArray();
        for (int n = 0; n < 2; n++)
            for (int g = 0; g < 4; g++)
                for (int p = 0; p < 12; p++)
                {
                    // darknet: output channel g = max over input channels g, g + 4, g + 8.
                    float expected = new[] { g, g + 4, g + 8 }.Max(c => xs[(n * 12 + c) * 12 + p]);
                    Assert.AreEqual(expected, ys[(n * 4 + g) * 12 + p]);
                }
        var pieces = x.split(4, 1);
        using var ofPieces = Maxout.OfPieces(pieces);
        Assert.IsTrue(ofPieces.allclose(y, 0, 0), "The maximum of the pieces is Maxout over their concatenation.");
    }

    [TestMethod]
    public void MaxoutGradientReachesTheWinnerOnly()
    {
        using var a = torch.tensor(new float[] { 1, 5, -2, 0 }).view(1, 4, 1, 1).requires_grad_();
        using var y = Maxout.Forward(a, 2); // max(1, -2) = 1, max(5, 0) = 5
        y.sum().backward();
        CollectionAssert.AreEqual(new float[] { 1, 1, 0, 0 }, a.grad!.data<float>().ToArray());
        Assert.ThrowsExactly<ArgumentException>(() => Maxout.Forward(a, 3));
    }

    [TestMethod]
    public void NmsKeepsWhatTheGreedyRuleKeeps()
    {
        var random = new Random(5);
        var boxes = Enumerable.Range(0, 200).Select(_ =>
        {
            float x = random.Next(0, 80), y = random.Next(0, 80), w = random.Next(4, 30), h = random.Next(4, 30);
            return new ScoredBox(new BoundingBox(x, y, x + w, y + h), random.Next(3), (float)Math.Round(random.NextDouble(), 2));
        }).ToArray();
        var kept = NonMaximumSuppression.Apply(boxes, 0.45, 1000);

        // Brute force: walk all boxes by score (stable); a box survives when no surviving box of its class, ranked
        // earlier, overlaps it above the threshold.
        var ranked = boxes.Select((b, i) => (b, i)).OrderBy(x => -x.b.Score).ThenBy(x => x.i).Select(x => x.b).ToList();
        var survivors = new List<ScoredBox>();
        foreach (var b in ranked)
            if (!survivors.Any(s => s.Label == b.Label && s.Box.IntersectionOverUnion(b.Box) > 0.45)) survivors.Add(b);
        CollectionAssert.AreEqual(survivors, kept.ToList());
        Assert.IsTrue(survivors.Count < boxes.Length && survivors.Count > 10, "The case suppresses some boxes and keeps many.");
        Assert.AreEqual(7, NonMaximumSuppression.Apply(boxes, 0.45, 7).Count);

        // Boxes of different classes never suppress each other.
        var same = new BoundingBox(0, 0, 10, 10);
        Assert.AreEqual(2, NonMaximumSuppression.Apply([new(same, 0, 0.9f), new(same, 1, 0.8f)], 0.5, 10).Count);
        Assert.AreEqual(1, NonMaximumSuppression.Apply([new(same, 0, 0.9f), new(same, 0, 0.8f)], 0.5, 10).Count);
    }
}
