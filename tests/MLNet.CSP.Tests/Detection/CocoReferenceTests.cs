using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Detection;
using MLNet.CSP.Detection.Evaluation;

namespace MLNet.CSP.Tests.Detection;

/// <summary>
/// <see cref="CocoEvaluator"/> against COCOeval's numbers on a realistic case made once by tools/make-coco-reference.py: 40
/// images, 4 classes averaged, objects of every size range, duplicates and misplaced boxes, more than 100 detections in some
/// images (only the best 100 count), scores with two decimals so that many tie (ties keep their input order, as
/// COCOeval's stable sort does).
/// </summary>
[TestClass]
public sealed class CocoReferenceTests
{
    [TestMethod]
    [Timeout(60_000)]
    public void MetricsEqualCocoEvalsOnARealisticCase()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "coco", "reference.json")));
        var images = json.RootElement.GetProperty("images").EnumerateArray().ToList();
        var truth = images.Select(i => (IReadOnlyList<LabeledBox>)[.. i.GetProperty("groundTruth").EnumerateArray().Select(g =>
        {
            var v = g.EnumerateArray().Select(x => x.GetSingle()).ToArray();
            return new LabeledBox(new BoundingBox(v[1], v[2], v[3], v[4]), (int)v[0]);
        })]).ToList();
        var found = images.Select(i => (IReadOnlyList<ScoredBox>)[.. i.GetProperty("detections").EnumerateArray().Select(d =>
        {
            var v = d.EnumerateArray().Select(x => x.GetSingle()).ToArray();
            return new ScoredBox(new BoundingBox(v[2], v[3], v[4], v[5]), (int)v[0], v[1]);
        })]).ToList();
        Assert.IsTrue(found.Any(f => f.Count > 100), "Some image has more than 100 detections.");
        Assert.IsTrue(found.SelectMany(f => f).GroupBy(d => d.Score).Any(g => g.Count() > 1), "Scores tie.");

        var metrics = CocoEvaluator.Evaluate(truth, found);
        var expected = json.RootElement.GetProperty("metrics");
        Console.WriteLine($"reference: {json.RootElement.GetProperty("source").GetString()}\n{metrics}");
        foreach (var property in typeof(CocoMetrics).GetProperties().Where(p => p.PropertyType == typeof(double)))
            Assert.AreEqual(expected.GetProperty(property.Name).GetDouble(), (double)property.GetValue(metrics)!, 1e-9, property.Name);
        var perClass = expected.GetProperty("PerClassAveragePrecision").EnumerateObject().ToDictionary(p => int.Parse(p.Name), p => p.Value.GetDouble());
        Assert.HasCount(4, perClass, "Four classes are averaged.");
        CollectionAssert.AreEquivalent(perClass.Keys.ToArray(), metrics.PerClassAveragePrecision.Keys.ToArray());
        foreach (var (label, ap) in perClass) Assert.AreEqual(ap, metrics.PerClassAveragePrecision[label], 1e-9, $"class {label}");
    }
}
