using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Detection;
using MLNet.CSP.Detection.Evaluation;

namespace MLNet.CSP.Tests.Detection;

/// <summary>
/// COCO box metrics on cases small enough to compute by hand with pycocotools' rules (101-point interpolated precision,
/// greedy score-order matching, ignored area ranges, classes without ground truth left out).
/// </summary>
[TestClass]
public sealed class CocoEvaluatorTests
{
    private static BoundingBox Box(float x0, float y0, float x1, float y1) => new(x0, y0, x1, y1);
    private static LabeledBox Truth(BoundingBox b, int label = 0) => new(b, label);
    private static ScoredBox Found(BoundingBox b, float score, int label = 0) => new(b, label, score);

    private static CocoMetrics Evaluate(params (LabeledBox[] Truth, ScoredBox[] Found)[] images) =>
        CocoEvaluator.Evaluate(images.Select(i => (IReadOnlyList<LabeledBox>)i.Truth).ToList(), images.Select(i => (IReadOnlyList<ScoredBox>)i.Found).ToList());

    [TestMethod]
    public void PerfectDetectionsScoreOne()
    {
        var a = Box(10, 10, 60, 60); // 50 x 50: medium
        var b = Box(0, 0, 40, 50);
        var m = Evaluate(([Truth(a)], [Found(a, 0.9f)]), ([Truth(b)], [Found(b, 0.3f)]));
        Assert.AreEqual(1, m.MeanAveragePrecision, 1e-12);
        Assert.AreEqual(1, m.AveragePrecision50, 1e-12);
        Assert.AreEqual(1, m.AveragePrecision75, 1e-12);
        Assert.AreEqual(1, m.AveragePrecisionMedium, 1e-12);
        Assert.IsTrue(double.IsNaN(m.AveragePrecisionSmall), "No small ground truth: COCO prints -1.");
        Assert.IsTrue(double.IsNaN(m.AveragePrecisionLarge));
        Assert.AreEqual(1, m.AverageRecall1, 1e-12);
        Assert.AreEqual(1, m.AverageRecall100, 1e-12);
        CollectionAssert.AreEquivalent(new[] { 0 }, m.PerClassAveragePrecision.Keys.ToArray());
    }

    [TestMethod]
    public void ShiftedBoxCountsOnlyAtThresholdsItsIouReaches()
    {
        // 100 x 100 truth, detection shifted 10 px: IoU = 9000 / 11000 = 0.818, a match at 0.50..0.80 (7 of 10 thresholds).
        var m = Evaluate(([Truth(Box(0, 0, 100, 100))], [Found(Box(10, 0, 110, 100), 0.8f)]));
        Assert.AreEqual(0.7, m.MeanAveragePrecision, 1e-12);
        Assert.AreEqual(1, m.AveragePrecision50, 1e-12);
        Assert.AreEqual(1, m.AveragePrecision75, 1e-12);
        Assert.AreEqual(0.7, m.AverageRecall100, 1e-12);
        Assert.AreEqual(0.7, m.AveragePrecisionLarge, 1e-12, "Area 10000 is above 96 x 96.");
    }

    [TestMethod]
    public void DuplicateBelowTheMatchCostsNothingButAboveItHalvesPrecision()
    {
        var g = Box(0, 0, 50, 50);
        // The duplicate ranks after the match: precision 1 then 0.5, made monotone -> 1 at every recall level reached.
        var after = Evaluate(([Truth(g)], [Found(g, 0.9f), Found(g, 0.8f)]));
        Assert.AreEqual(1, after.MeanAveragePrecision, 1e-12);
        // A wrong box ranks first: precision 0 then 0.5 -> 0.5 everywhere after the monotone envelope.
        var before = Evaluate(([Truth(g)], [Found(Box(200, 200, 250, 250), 0.95f), Found(g, 0.8f)]));
        Assert.AreEqual(0.5, before.MeanAveragePrecision, 1e-12);
    }

    [TestMethod]
    public void MissedObjectCapsRecallAtHalf()
    {
        var g1 = Box(0, 0, 50, 50);
        var m = Evaluate(([Truth(g1), Truth(Box(100, 100, 150, 150))], [Found(g1, 0.9f)]));
        // Recall 0.5 with precision 1: recall thresholds 0.00..0.50 (51 of 101) score 1, the rest 0.
        Assert.AreEqual(51.0 / 101, m.MeanAveragePrecision, 1e-12);
        Assert.AreEqual(0.5, m.AverageRecall100, 1e-12);
    }

    [TestMethod]
    public void WrongClassScoresZeroAndAClassWithoutTruthIsLeftOut()
    {
        var g = Box(0, 0, 50, 50);
        var m = Evaluate(([Truth(g, 0)], [Found(g, 0.9f, 1)]));
        Assert.AreEqual(0, m.MeanAveragePrecision, 1e-12, "Class 0 was never found; class 1 has no truth and is not averaged.");
        CollectionAssert.AreEquivalent(new[] { 0 }, m.PerClassAveragePrecision.Keys.ToArray());
        Assert.AreEqual(0, m.PerClassAveragePrecision[0], 1e-12);

        var spuriousClass = Evaluate(([Truth(g, 0)], [Found(g, 0.9f, 0)]), ([], [Found(g, 0.99f, 2)]));
        Assert.AreEqual(1, spuriousClass.MeanAveragePrecision, 1e-12, "Detections of a class absent from the truth do not count.");
    }

    [TestMethod]
    public void EmptyImagesCountOnlyThroughTheirDetections()
    {
        var g = Box(0, 0, 50, 50);
        var quiet = Evaluate(([Truth(g)], [Found(g, 0.9f)]), ([], []));
        Assert.AreEqual(1, quiet.MeanAveragePrecision, 1e-12);
        // A false alarm on an image without objects, ranked above the true match: precision 0 then 0.5.
        var falseAlarm = Evaluate(([Truth(g)], [Found(g, 0.9f)]), ([], [Found(g, 0.95f)]));
        Assert.AreEqual(0.5, falseAlarm.MeanAveragePrecision, 1e-12);
        // Ranked below the match, it lowers nothing.
        var lowAlarm = Evaluate(([Truth(g)], [Found(g, 0.9f)]), ([], [Found(g, 0.5f)]));
        Assert.AreEqual(1, lowAlarm.MeanAveragePrecision, 1e-12);
    }

    [TestMethod]
    public void AreaRangesIgnoreTruthAndUnmatchedDetectionsOutsideThem()
    {
        var small = Box(0, 0, 20, 20); // area 400
        var large = Box(100, 100, 250, 250); // area 22500, no truth there
        var m = Evaluate(([Truth(small)], [Found(large, 0.99f), Found(small, 0.5f)]));
        Assert.AreEqual(0.5, m.MeanAveragePrecision, 1e-12, "All areas: the false alarm ranks first.");
        Assert.AreEqual(1, m.AveragePrecisionSmall, 1e-12, "Small range: the unmatched large detection is ignored.");
        Assert.IsTrue(double.IsNaN(m.AveragePrecisionLarge), "No large truth.");
        Assert.AreEqual(1, m.AverageRecallSmall, 1e-12);
    }

    [TestMethod]
    public void DetectionLimitsShapeAverageRecall()
    {
        var g1 = Box(0, 0, 50, 50);
        var g2 = Box(100, 0, 150, 50);
        var m = Evaluate(([Truth(g1), Truth(g2)], [Found(g1, 0.9f), Found(g2, 0.8f)]));
        Assert.AreEqual(0.5, m.AverageRecall1, 1e-12, "One detection per image finds one of two objects.");
        Assert.AreEqual(1, m.AverageRecall10, 1e-12);
        Assert.AreEqual(1, m.AverageRecall100, 1e-12);
    }

    [TestMethod]
    public void GreedyMatchingTakesTheBestFreeTruthInScoreOrder()
    {
        var left = Box(0, 0, 10, 10);
        var right = Box(5, 0, 15, 10);
        // The first detection overlaps right (IoU 0.667) more than left (0.538) and takes it; the second then takes
        // left exactly. Both match at 0.50 -> AP50 = 1; at 0.55..0.65 only one does.
        var m = Evaluate(([Truth(left), Truth(right)], [Found(Box(3, 0, 13, 10), 0.9f), Found(left, 0.8f)]));
        Assert.AreEqual(1, m.AveragePrecision50, 1e-12);
        // Thresholds 0.70..0.95: the first detection is a false positive ranked first, the second a match:
        // precision 0 then 0.5, recall 0.5 -> 0.5 over 51 recall points.
        double high = 0.5 * 51 / 101;
        // 0.55, 0.60, 0.65: both ranks match the same way as at 0.50 (IoU 0.667 >= t) -> 1.
        double expected = (4 * 1.0 + 6 * high) / 10;
        Assert.AreEqual(expected, m.MeanAveragePrecision, 1e-12);
    }

    [TestMethod]
    public void BadArgumentsAreClearErrors()
    {
        var ok = new List<IReadOnlyList<LabeledBox>> { new[] { Truth(Box(0, 0, 1, 1)) } };
        var ex = Assert.ThrowsExactly<ArgumentException>(() => CocoEvaluator.Evaluate(ok, []));
        StringAssert.Contains(ex.Message, "1 images");
        ex = Assert.ThrowsExactly<ArgumentException>(() => CocoEvaluator.Evaluate([new[] { Truth(Box(5, 0, 1, 1)) }], [Array.Empty<ScoredBox>()]));
        StringAssert.Contains(ex.Message, "inverted");
        ex = Assert.ThrowsExactly<ArgumentException>(() => CocoEvaluator.Evaluate(ok, [new[] { Found(Box(0, 0, 1, 1), float.NaN) }]));
        StringAssert.Contains(ex.Message, "score");
    }

    [TestMethod]
    public void PrintsCocoLayout()
    {
        var g = Box(0, 0, 50, 50);
        var text = Evaluate(([Truth(g)], [Found(g, 0.9f)])).ToString().Split(Environment.NewLine);
        Assert.AreEqual(12, text.Length);
        Assert.AreEqual(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000", text[0]);
        Assert.AreEqual(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 1.000", text[6]);
        StringAssert.EndsWith(text[3], "= -1.000", "Undefined values print as COCO's -1.");
    }
}
