using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>What the README promises of a fit: a missing label is named, and the process's libtorch thread count is left as it was.</summary>
[TestClass]
public sealed class TrainerContractTests
{
    private static (MLContext Ml, IDataView Data) Images(int perClass, string[]? known = null)
    {
        var ml = new MLContext(seed: 1);
        var rows = FashionMnist.Load("train").GroupBy(r => r.Label).Take(3).SelectMany(g => g.Take(perClass)).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var keys = known is null
            ? ml.Transforms.Conversion.MapValueToKey("Label")
            : ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(known.Select(k => new { Label = k })));
        return (ml, keys.Append(ml.Transforms.LoadImages("Image", null, "ImagePath")).Fit(data).Transform(data));
    }

    [TestMethod]
    [Timeout(120_000)]
    public void AMissingTrainingLabelIsAnInvalidDataExceptionNamingTheColumnAndRow()
    {
        // Keys for two of the three classes: the third class's rows have a missing key (0).
        var names = FashionMnist.Load("train").Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        var (ml, data) = Images(perClass: 4, known: [.. names.Take(2)]);
        var labels = data.GetColumn<uint>("Label").ToList();
        int firstMissing = labels.IndexOf(0);
        Assert.IsGreaterThanOrEqualTo(0, firstMissing, "The set has a row whose label is not a known key.");
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ml.MulticlassClassification.Trainers.CspImageClassification(TrainerTests.Small()).Fit(data));
        StringAssert.Contains(error.Message, "'Label'");
        StringAssert.Contains(error.Message, $"row {firstMissing}");
    }

    [TestMethod]
    [Timeout(120_000)]
    public void AFitAndItsScoringLeaveTheProcesssThreadCountAsTheyFoundIt()
    {
        var (ml, data) = Images(perClass: 8);
        int before = torch.get_num_threads();
        int wanted = before == 1 ? 2 : 1;
        var options = TrainerTests.Small();
        options.TorchThreads = wanted;
        int during = 0;
        options.BatchCallback = _ => during = torch.get_num_threads();
        using var model = ml.MulticlassClassification.Trainers.CspImageClassification(options).Fit(data);
        Assert.AreEqual(wanted, during, "The fit computed with its own count.");
        Assert.AreEqual(before, torch.get_num_threads(), "The fit restored the count.");
        model.Transform(data).GetColumn<float[]>("Score").ToList();
        Assert.AreEqual(before, torch.get_num_threads(), "Scoring restored the count.");
    }
}
