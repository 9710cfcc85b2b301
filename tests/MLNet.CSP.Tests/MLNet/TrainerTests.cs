using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.MLNet.Trainer;
using MLNet.CSP.Models;
using MLNet.CSP.Weights;

namespace MLNet.CSP.Tests.MLNet;

/// <summary>The fine-tunable classifier as an ML.NET trainer, trained on real images.</summary>
[TestClass]
public sealed class TrainerTests
{
    private string directory = null!;

    [TestInitialize]
    public void Setup() => directory = Directory.CreateTempSubdirectory("csp-train-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(directory, recursive: true);

    internal static CspImageClassificationTrainer.Options Small(int epochs = 1) => new()
    {
        Architecture = "cs3darknet_s",
        ImageSize = 32,
        CropFraction = 1.0,
        Mean = [0.286f, 0.286f, 0.286f],
        Std = [0.353f, 0.353f, 0.353f],
        Epochs = epochs,
        BatchSize = 64,
        LearningRate = 2e-3,
        WarmupEpochs = 0.5,
        TorchThreads = 2,
    };

    private static IDataView Images(MLContext ml, IEnumerable<ImageRow> rows)
    {
        var data = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(data).Transform(data);
    }

    private static (MLContext Ml, IDataView Train, IDataView Test, ITransformer Keys) Fashion(int seed, int trainPerClass = 200)
    {
        var ml = new MLContext(seed: seed);
        var trainRows = FashionMnist.Load("train").GroupBy(r => r.Label).SelectMany(g => g.Take(trainPerClass)).ToList();
        var train = Images(ml, trainRows);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        return (ml, keys.Transform(train), keys.Transform(Images(ml, FashionMnist.Load("test"))), keys);
    }

    [TestMethod]
    public void TrainsOnRealImagesWellAboveChance()
    {
        var (ml, train, test, _) = Fashion(seed: 1);
        var epochs = new List<CspEpochMetrics>();
        var options = Small(epochs: 4);
        options.MetricsCallback = epochs.Add;
        var watch = Stopwatch.StartNew();
        using var model = ml.MulticlassClassification.Trainers.CspImageClassification(options).Fit(train);
        var scored = model.Transform(test);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        foreach (var e in epochs) Console.WriteLine(e);
        Console.WriteLine($"Fashion-MNIST 2,000 train / 500 test, cs3darknet_s 32x32, {epochs.Count} epochs in {watch.Elapsed.TotalSeconds:F0} s: accuracy {metrics.MicroAccuracy:P1}");
        Assert.HasCount(4, epochs);
        Assert.IsTrue(epochs.All(e => double.IsFinite(e.TrainLoss) && e.ImagesPerSecond > 0));
        Assert.IsLessThan(epochs[0].TrainLoss, epochs[^1].TrainLoss, "Training lowers the loss.");
        Assert.IsGreaterThanOrEqualTo(0.70, metrics.MicroAccuracy, "Ten classes: chance is 10%.");

        var names = ml.Transforms.Conversion.MapKeyToValue("PredictedName", "PredictedLabel").Fit(scored).Transform(scored);
        var predicted = names.GetColumn<string>("PredictedName").Take(50).ToList();
        CollectionAssert.IsSubsetOf(predicted.Distinct().ToList(), FashionMnist.Load("train").Select(r => r.Label).Distinct().ToList());
        var score = scored.Schema["Score"];
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 10), score.Type);
        var first = scored.GetColumn<VBuffer<float>>("Score").First().DenseValues().ToArray();
        Assert.AreEqual(1.0, first.Sum(), 1e-4, "Scores are probabilities.");
    }
}
