using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Detection;

namespace MLNet.CSP.Tests.Detection;

/// <summary><see cref="AnchorBoxes.Cluster"/>: k-means with 1 - IoU finds the shapes the boxes come in, seeded; too few shapes fall back to COCO's.</summary>
[TestClass]
public sealed class AnchorBoxesTests
{
    private static readonly (float Width, float Height)[] Shapes =
        [(10, 14), (20, 12), (18, 36), (40, 30), (36, 70), (80, 60), (70, 150), (160, 110), (300, 260)];

    /// <summary>40 boxes around each of the nine shapes, within 5% of it.</summary>
    private static List<(float Width, float Height)> Boxes(int seed)
    {
        var random = new Random(seed);
        return [.. Shapes.SelectMany(s => Enumerable.Range(0, 40).Select(_ =>
            (s.Width * (float)(0.95 + 0.1 * random.NextDouble()), s.Height * (float)(0.95 + 0.1 * random.NextDouble()))))];
    }

    [TestMethod]
    public void NineClustersOfBoxesGiveTheirNineShapesOrderedByArea()
    {
        var anchors = AnchorBoxes.Cluster(Boxes(1), 416, seed: 7);
        Assert.HasCount(9, anchors.Sizes);
        var expected = Shapes.OrderBy(s => s.Width * s.Height).ToArray();
        for (int i = 0; i < 9; i++)
        {
            Assert.AreEqual(expected[i].Width, anchors.Sizes[i].Width, 0.05 * expected[i].Width, $"anchor {i} width");
            Assert.AreEqual(expected[i].Height, anchors.Sizes[i].Height, 0.05 * expected[i].Height, $"anchor {i} height");
        }
        var again = AnchorBoxes.Cluster(Boxes(1), 416, seed: 7);
        CollectionAssert.AreEqual(anchors.Sizes.ToArray(), again.Sizes.ToArray(), "The same seed, the same anchors.");
    }

    [TestMethod]
    public void FewerThanNineDistinctShapesFallBackToCocosAnchors()
    {
        var few = Enumerable.Repeat((20f, 30f), 50).Concat(Enumerable.Repeat((60f, 40f), 50)).ToList();
        CollectionAssert.AreEqual(AnchorBoxes.CocoFor(416).Sizes.ToArray(), AnchorBoxes.Cluster(few, 416, seed: 1).Sizes.ToArray());
    }
}
