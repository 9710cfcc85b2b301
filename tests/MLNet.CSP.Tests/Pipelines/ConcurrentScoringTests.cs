using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Backend;
using MLNet.CSP.Pipelines.Featurizer;
using TorchSharp;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>
/// Scoring and fitting from many threads: components with different <c>TorchThreads</c> scoring at once give the numbers each
/// gives alone, fits on two threads each train the model their seed gives alone (libtorch's one random generator is seeded
/// and drawn from under one lock), and the process's libtorch thread count is what it was before.
/// </summary>
[TestClass]
public sealed class ConcurrentScoringTests
{
    [TestMethod]
    [Timeout(300_000)]
    public void ComponentsWithDifferentThreadCountsScoreTogetherAsAlone()
    {
        var ml = new MLContext(seed: 2);
        var rows = FashionMnist.Load("test").Take(12).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var images = ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(data).Transform(data);
        ITransformer Featurizer(int threads) => ml.Transforms.CspFeaturize(new CspFeaturizerOptions
        {
            InputColumnName = "Image", OutputColumnName = "Features", Architecture = "cs3darknet_s", ImageSize = 64, TorchThreads = threads, BatchSize = 4,
        }).Fit(images);
        var one = Featurizer(1);
        var two = Featurizer(2);
        float[][] Score(ITransformer model) => [.. model.Transform(images).GetColumn<float[]>("Features")];
        var aloneOne = Score(one);
        var aloneTwo = Score(two);

        int before = torch.get_num_threads();
        var work = Enumerable.Range(0, 8).Select(i => Task.Run(() => (i, Score(i % 2 == 0 ? one : two)))).ToArray();
        Assert.IsTrue(Task.WaitAll(work, TimeSpan.FromMinutes(4)), "Concurrent scoring finished.");
        foreach (var (i, scores) in work.Select(t => t.Result))
        {
            var alone = i % 2 == 0 ? aloneOne : aloneTwo;
            for (int r = 0; r < alone.Length; r++) CollectionAssert.AreEqual(alone[r], scores[r], $"Worker {i}, row {r}: the same numbers as alone.");
        }
        Assert.AreEqual(before, torch.get_num_threads(), "The process's count is as it was.");
        Assert.AreEqual(0, TorchThreads.OpenScopes);
        (one as IDisposable)?.Dispose();
        (two as IDisposable)?.Dispose();
    }

    [TestMethod]
    [Timeout(300_000)]
    public void FitsOnTwoThreadsEachTrainTheModelTheirSeedGivesAlone()
    {
        var rows = FashionMnist.Load("train").GroupBy(r => r.Label).Take(2).SelectMany(g => g.Take(12)).ToList();
        float[][] Fit(int seed)
        {
            var ml = new MLContext(seed: seed);
            var data = ml.Data.LoadFromEnumerable(rows);
            var prepared = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.LoadImages("Image", null, "ImagePath")).Fit(data).Transform(data);
            var options = TrainerTests.Small();
            options.BatchSize = 8;
            options.TorchThreads = 1;
            using var model = ml.MulticlassClassification.Trainers.CspImageClassification(options).Fit(prepared);
            return [.. model.Transform(prepared).GetColumn<float[]>("Score")];
        }
        var aloneA = Fit(11);
        var aloneB = Fit(12);
        var together = new[] { Task.Run(() => Fit(11)), Task.Run(() => Fit(12)) };
        Assert.IsTrue(Task.WaitAll(together, TimeSpan.FromMinutes(4)));
        for (int r = 0; r < rows.Count; r++)
        {
            CollectionAssert.AreEqual(aloneA[r], together[0].Result[r], $"Seed 11, row {r}: trained beside another fit as alone.");
            CollectionAssert.AreEqual(aloneB[r], together[1].Result[r], $"Seed 12, row {r}.");
        }
        Assert.IsFalse(aloneA[0].SequenceEqual(aloneB[0]), "The two seeds train different models (the comparison can fail).");
    }
}
