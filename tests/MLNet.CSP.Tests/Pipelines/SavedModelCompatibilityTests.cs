using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>
/// Saved models keep loading: every folder under <c>TestData/models/</c> holds a featurizer, a classifier and a detector saved by
/// that release (tools/make-compat-models), the images they scored and what they scored; this version loads each file with
/// <c>mlContext.Model.Load</c> and must score the same.
/// </summary>
[TestClass]
public sealed class SavedModelCompatibilityTests
{
    private static string Root => Path.Combine(AppContext.BaseDirectory, "TestData", "models");

    public static IEnumerable<object[]> Releases() =>
        Directory.GetDirectories(Root).Select(d => new object[] { Path.GetFileName(d) }).OrderBy(v => (string)v[0]);

    private sealed class Row
    {
        public string ImagePath { get; set; } = "";
    }

    [TestMethod]
    [Timeout(300_000)]
    [DynamicData(nameof(Releases))]
    public void ModelsSavedByAnEarlierReleaseLoadAndScoreTheSame(string release)
    {
        string folder = Path.Combine(Root, release);
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected.json")));
        var root = expected.RootElement;
        Assert.AreEqual(release, root.GetProperty("version").GetString());
        var rows = root.GetProperty("images").EnumerateArray().Select(e => new Row { ImagePath = Path.Combine(folder, e.GetString()!) }).ToList();
        var ml = new MLContext(seed: 5);
        var data = ml.Data.LoadFromEnumerable(rows);
        var images = ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(data).Transform(data);

        Compare(ml, Path.Combine(folder, "featurizer.zip"), images, "Features", root.GetProperty("featurizer"));
        Compare(ml, Path.Combine(folder, "classifier.zip"), images, "Score", root.GetProperty("classifier"));

        // The detector's input schema has its training columns; scoring needs the image only, the rest are passed through.
        var detector = ml.Model.Load(Path.Combine(folder, "detector.zip"), out _);
        try
        {
            var scored = detector.Transform(images);
            AssertRows(root.GetProperty("detectorBoxes"), scored.GetColumn<float[]>("PredictedBoundingBoxes").ToList(), "detector boxes", 1e-3);
            AssertRows(root.GetProperty("detectorScores"), scored.GetColumn<float[]>("Score").ToList(), "detector scores", 1e-5);
            var labels = scored.GetColumn<uint[]>("PredictedLabel").ToList();
            var expectedLabels = root.GetProperty("detectorLabels").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetUInt32()).ToArray()).ToList();
            Assert.HasCount(expectedLabels.Count, labels);
            for (int r = 0; r < labels.Count; r++) CollectionAssert.AreEqual(expectedLabels[r], labels[r], $"detector labels, row {r}");
            Assert.IsTrue(expectedLabels.Sum(l => l.Length) > 0, "The saved detector found something to compare.");
        }
        finally
        {
            (detector as IDisposable)?.Dispose();
        }
    }

    private static void Compare(MLContext ml, string path, IDataView images, string column, JsonElement expected)
    {
        var model = ml.Model.Load(path, out _);
        try
        {
            AssertRows(expected, model.Transform(images).GetColumn<float[]>(column).ToList(), Path.GetFileName(path), 1e-5);
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    private static void AssertRows(JsonElement expected, List<float[]> actual, string what, double tolerance)
    {
        var rows = expected.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToList();
        Assert.HasCount(rows.Count, actual, what);
        for (int r = 0; r < rows.Count; r++)
        {
            Assert.HasCount(rows[r].Length, actual[r], $"{what}, row {r}");
            for (int i = 0; i < rows[r].Length; i++)
                Assert.AreEqual(rows[r][i], actual[r][i], tolerance * Math.Max(1, Math.Abs(rows[r][i])), $"{what}, row {r}, value {i}");
        }
    }
}
