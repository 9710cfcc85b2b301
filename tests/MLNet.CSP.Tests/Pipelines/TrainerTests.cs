using MLNet.CSP.Pipelines.Training;
using System.Diagnostics;
using MLNet.CSP.Models;
using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Weights;
using Microsoft.ML.Data;
using Microsoft.ML;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>The fine-tunable classifier as an ML.NET trainer, trained on real images.</summary>
[TestClass]
public sealed class TrainerTests : TempDirectoryTest
{
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

    private static float[][] Scores(IDataView scored) => scored.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();

    [TestMethod]
    public void SameSeedSameModelAndSavedModelReloadsBitIdenticalInAFreshProcess()
    {
        var (ml, train, test, _) = Fashion(seed: 5, trainPerClass: 30);
        using var a = ml.MulticlassClassification.Trainers.CspImageClassification(Small()).Fit(train);
        var (ml2, train2, _, _) = Fashion(seed: 5, trainPerClass: 30);
        using var b = ml2.MulticlassClassification.Trainers.CspImageClassification(Small()).Fit(train2);
        var expected = Scores(a.Transform(test));
        var again = Scores(b.Transform(test));
        for (int i = 0; i < expected.Length; i += 25) CollectionAssert.AreEqual(expected[i], again[i], $"Same seed, row {i}.");

        string path = Path.Combine(Folder, "classifier.zip");
        ml.Model.Save(a, train.Schema, path);
        var loaded = new MLContext().Model.Load(path, out _);
        var reloaded = Scores(loaded.Transform(test));
        for (int i = 0; i < expected.Length; i++) CollectionAssert.AreEqual(expected[i], reloaded[i], $"Reloaded, row {i}.");

        // A fresh process: the probe loads the model zip (image rows only; the label is not needed to score).
        var rows = FashionMnist.Load("test").Take(20).ToList();
        string list = Path.Combine(Folder, "images.txt");
        File.WriteAllLines(list, rows.Select(r => r.ImagePath));
        string output = Path.Combine(Folder, "scores.bin");
        FeaturizerTests.RunProbe(path, list, "Score", output);
        var floats = FeaturizerTests.ReadFloats(output);
        Assert.HasCount(20 * 10, floats);
        for (int i = 0; i < 20; i++) CollectionAssert.AreEqual(expected[i], floats.Skip(i * 10).Take(10).ToArray(), $"Fresh process, row {i}.");

        var engine = ml.Model.CreatePredictionEngine<ImageRowWithImage, ScoreRow>(a);
        using var image = MLImage.CreateFromFile(rows[3].ImagePath);
        FeaturizerTests.AssertClose(expected[3], engine.Predict(new ImageRowWithImage { Image = image }).Score, "PredictionEngine");
    }

    [TestMethod]
    public void CancelledRunResumesFromItsCheckpointAndEndsWhereAnUninterruptedRunEnds()
    {
        var (ml, train, test, _) = Fashion(seed: 9, trainPerClass: 20);
        var uninterrupted = Small(epochs: 3);
        using var reference = ml.MulticlassClassification.Trainers.CspImageClassification(uninterrupted).Fit(train);
        var expected = Scores(reference.Transform(test));

        string checkpoints = Path.Combine(Folder, "ckpt");
        using var cancel = new CancellationTokenSource();
        var (ml2, train2, _, _) = Fashion(seed: 9, trainPerClass: 20);
        var first = Small(epochs: 3);
        first.CheckpointDirectory = checkpoints;
        first.CancellationToken = cancel.Token;
        first.MetricsCallback = m => { if (m.Epoch == 2) cancel.Cancel(); };
        Assert.Throws<OperationCanceledException>(() => ml2.MulticlassClassification.Trainers.CspImageClassification(first).Fit(train2));
        Assert.IsTrue(File.Exists(Path.Combine(checkpoints, "state.json")));

        // A copy of the checkpoint with one byte changed is refused, naming the file, instead of resuming from it.
        string damaged = Path.Combine(Folder, "damaged");
        Directory.CreateDirectory(damaged);
        foreach (var file in Directory.GetFiles(checkpoints)) File.Copy(file, Path.Combine(damaged, Path.GetFileName(file)));
        var bytes = File.ReadAllBytes(Path.Combine(damaged, "last.safetensors"));
        bytes[^10] ^= 0x40;
        File.WriteAllBytes(Path.Combine(damaged, "last.safetensors"), bytes);
        var (mlDamaged, trainDamaged, _, _) = Fashion(seed: 9, trainPerClass: 20);
        var fromDamaged = Small(epochs: 3);
        fromDamaged.CheckpointDirectory = damaged;
        var refused = Assert.ThrowsExactly<InvalidDataException>(() => mlDamaged.MulticlassClassification.Trainers.CspImageClassification(fromDamaged).Fit(trainDamaged));
        StringAssert.Contains(refused.Message, Path.Combine(damaged, "last.safetensors"));
        StringAssert.Contains(refused.Message, "SHA-256");

        var (ml3, train3, _, _) = Fashion(seed: 9, trainPerClass: 20);
        var resumed = Small(epochs: 3);
        resumed.CheckpointDirectory = checkpoints;
        var epochs = new List<int>();
        resumed.MetricsCallback = m => epochs.Add(m.Epoch);
        using var model = ml3.MulticlassClassification.Trainers.CspImageClassification(resumed).Fit(train3);
        CollectionAssert.AreEqual(new[] { 3 }, epochs, "Only the unfinished epoch runs again.");
        var actual = Scores(model.Transform(test));
        for (int i = 0; i < expected.Length; i += 20) FeaturizerTests.AssertClose(expected[i], actual[i], $"row {i}");
    }

    [TestMethod]
    public void RowsWithALabelTrainingNeverSawAreCountedAndLogged()
    {
        var ml = new MLContext(seed: 4);
        var rows = FashionMnist.Load("train").GroupBy(r => r.Label).SelectMany(g => g.Take(10)).ToList();
        var train = Images(ml, rows);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        using var model = ml.MulticlassClassification.Trainers.CspImageClassification(Small()).Fit(keys.Transform(train));
        var test = FashionMnist.Load("test").Take(18).ToList();
        foreach (var row in test.Take(6)) row.Label = "never-seen";
        var warnings = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) warnings.Add(e.Message); };
        var scored = model.Transform(keys.Transform(Images(ml, test)));
        Assert.AreEqual((6L, 18L), model.MissingLabels);
        Assert.IsTrue(warnings.Any(w => w.Contains("6 of 18 rows have no label in column 'Label'")), string.Join(" | ", warnings));
        Assert.HasCount(18, scored.GetColumn<float[]>("Score").ToList(), "Scoring itself goes on for every row.");
    }

    [TestMethod]
    public void FrozenBackboneTrainsTheClassifierOnly()
    {
        var (ml, train, _, _) = Fashion(seed: 2, trainPerClass: 10);
        string weights = Path.Combine(Folder, "start.safetensors");
        using (var start = Backbones.Create("cs3darknet_s", 10)) { Models.GoldenFill.Apply(start); Checkpoint.Save(start, weights); }
        var options = Small();
        options.WeightsPath = weights;
        options.FreezeBackbone = true;
        options.LearningRate = 0.05;
        using var model = ml.MulticlassClassification.Trainers.CspImageClassification(options).Fit(train);
        using var start2 = Backbones.Create("cs3darknet_s", 10);
        Checkpoint.Load(start2, weights);
        var before = start2.StateDict().ToDictionary(e => e.Key, e => e.Value);
        foreach (var (key, value) in model.Model.StateDict())
        {
            bool same = value.cpu().eq(before[key]).all().item<bool>();
            if (key.StartsWith("head.fc.", StringComparison.Ordinal)) Assert.IsFalse(same, $"{key} is trained.");
            else Assert.IsTrue(same, $"{key} stays frozen (running statistics included).");
        }
    }

    [TestMethod]
    public void ValidationAndEarlyStoppingAreReported()
    {
        var (ml, train, _, _) = Fashion(seed: 3, trainPerClass: 20);
        var options = Small(epochs: 4);
        options.ValidationFraction = 0.25;
        options.EarlyStoppingPatience = 1;
        options.EarlyStoppingMetric = CspEarlyStoppingMetric.Loss;
        options.LearningRate = 0.5; // unstable on purpose: validation loss stops improving quickly
        options.Optimizer = CspOptimizer.SgdMomentum;
        var epochs = new List<CspEpochMetrics>();
        options.MetricsCallback = epochs.Add;
        using var model = ml.MulticlassClassification.Trainers.CspImageClassification(options).Fit(train);
        Assert.IsTrue(epochs.All(e => e.ValidationAccuracy is not null && e.ValidationLoss is not null));
        // The stopping rule, whichever way this run went (TrainingLoopBehaviourTests scripts both ways): each epoch reports
        // the best epoch so far by validation loss; training ends at the last epoch or when an epoch is `patience` (1) past the best.
        int best = 0;
        for (int i = 0; i < epochs.Count; i++)
        {
            if (i == 0 || epochs[i].ValidationLoss < epochs[best].ValidationLoss) best = i;
            Assert.AreEqual(best + 1, epochs[i].BestEpoch, $"Epoch {i + 1} reports the best epoch so far.");
            if (i < epochs.Count - 1) Assert.AreEqual(i, best, $"Epoch {i + 1} improved, or training (patience 1) would have stopped after it.");
            else if (epochs.Count < 4) Assert.AreEqual(i - 1, best, "Stopped one epoch past the best (patience 1).");
        }
    }

    [TestMethod]
    public void BadInputsFailWithClearErrors()
    {
        var ml = new MLContext(seed: 1);
        var rows = FashionMnist.Load("train").Where((_, i) => i % 50 == 0).ToList(); // 4 images of each class
        var images = Images(ml, rows);
        var trainer = ml.MulticlassClassification.Trainers.CspImageClassification(Small());

        var notKey = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(images));
        StringAssert.Contains(notKey.Message, "Schema mismatch for label column 'Label': expected Key<UInt32>, got String");
        StringAssert.Contains(notKey.Message, "MapValueToKey");

        var oneClass = Images(ml, rows.Where(r => r.Label == rows[0].Label));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(oneClass).Transform(oneClass);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => trainer.Fit(keyed)).Message, "at least two");

        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(images);
        var empty = keys.Transform(ml.Data.SkipRows(images, 1_000));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => trainer.Fit(empty)).Message, "no rows");

        string corrupt = Path.Combine(Folder, "bad.png");
        File.WriteAllText(corrupt, "not an image");
        var withBad = rows.Take(10).Append(new ImageRow { ImagePath = corrupt, Label = rows[0].Label }).ToList();
        var bytes = ml.Transforms.LoadRawImageBytes("Image", null, "ImagePath").Fit(ml.Data.LoadFromEnumerable(withBad)).Transform(ml.Data.LoadFromEnumerable(withBad));
        var badKeyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(bytes).Transform(bytes);
        var decode = Assert.ThrowsExactly<InvalidDataException>(() => trainer.Fit(badKeyed));
        StringAssert.Contains(decode.Message, "column 'Image' at row 10");

        var exploding = Small();
        exploding.LearningRate = 1e12;
        exploding.Optimizer = CspOptimizer.SgdMomentum;
        exploding.Epochs = 3;
        var data = keys.Transform(images);
        var diverged = Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.CspImageClassification(exploding).Fit(data));
        StringAssert.Contains(diverged.Message, "loss");

        var unknown = Small();
        unknown.Architecture = "cspnet9000";
        Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.CspImageClassification(unknown));

        string other = Path.Combine(Folder, "other.safetensors");
        using (var net = Backbones.Create("cspdarknet53")) Checkpoint.Save(net, other);
        var wrong = Small();
        wrong.WeightsPath = other;
        Assert.ThrowsExactly<CheckpointMismatchException>(() => ml.MulticlassClassification.Trainers.CspImageClassification(wrong).Fit(data));
    }

    [TestMethod]
    public void PredictedSchemaEqualsActualSchema()
    {
        var (ml, train, _, _) = Fashion(seed: 4, trainPerClass: 5);
        var trainer = ml.MulticlassClassification.Trainers.CspImageClassification(Small());
        var predicted = trainer.GetOutputSchema(SchemaShapes.From(train.Schema));
        using var model = trainer.Fit(train);
        var actual = model.GetOutputSchema(train.Schema);
        var score = predicted.Single(c => c.Name == "Score");
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, score.Kind);
        var label = predicted.Single(c => c.Name == "PredictedLabel");
        Assert.IsTrue(label.IsKey);
        Assert.AreEqual(train.Schema["Label"].Type, actual["PredictedLabel"].Type, "PredictedLabel has the label's key type.");
        CollectionAssert.AreEquivalent(predicted.Select(c => c.Name).ToList(), actual.Where(c => !c.IsHidden).Select(c => c.Name).ToList());
    }
}

public sealed class ScoreRow
{
    public float[] Score { get; set; } = [];
}
