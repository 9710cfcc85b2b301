using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Backend;
using MLNet.CSP.Pipelines;
using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Detection;
using MLNet.CSP.Pipelines.Serving;
using TorchSharp;

namespace MLNet.CSP.Tests.Serving;

/// <summary>
/// The dynamic-batching predictors: requests from many threads share forward passes, and each gets the answer the
/// transformer's own batch <c>Transform</c> gives its image, whatever else was in its batch: the same classes and boxes, scores
/// equal up to float rounding (libtorch's CPU kernels sum a row in an order that depends on its place in the batch; measured
/// here: at most 1 unit in the 7th digit). Answers of different images differ by far more, so a crossed answer fails.
/// </summary>
[TestClass]
public sealed class BatchPredictorTests
{
    private sealed class Row
    {
        public string ImagePath { get; set; } = "";
    }

    /// <summary>The transformer's <c>Transform</c> over the images (batches of several): the reference each request must get.</summary>
    private static T[] Transformed<T>(ITransformer transformer, string column)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(CompatModels.Images.Select(p => new Row { ImagePath = p }));
        var images = ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(data).Transform(data);
        return transformer.Transform(images).GetColumn<T>(column).ToArray();
    }

    /// <summary>Scores equal up to float rounding (a few units in the 7th significant digit).</summary>
    internal static void AssertSameScores(IReadOnlyList<float> expected, IReadOnlyList<float> actual, string what)
    {
        Assert.AreEqual(expected.Count, actual.Count, what);
        for (int i = 0; i < expected.Count; i++) Assert.AreEqual(expected[i], actual[i], 2e-6f, $"{what}, value {i}");
    }

    private static byte[][] Files() => CompatModels.Images.Select(File.ReadAllBytes).ToArray();

    [TestMethod]
    [Timeout(120_000)]
    public async Task ConcurrentClassifierRequestsGetTheTransformsExactScores()
    {
        using var classifier = CompatModels.Load<CspImageClassificationTransformer>(CompatModels.Classifier);
        var expected = Transformed<float[]>(classifier, "Score");
        using var predictor = new CspClassificationPredictor(classifier, new CspBatchPredictorOptions { MaxBatchSize = 8, MaxDelay = TimeSpan.FromMilliseconds(5) });
        var files = Files();
        // 32 clients, each asking for all 12 images in its own order: batches of every composition.
        var answers = await Task.WhenAll(Enumerable.Range(0, 32).Select(client => Task.Run(async () =>
        {
            var got = new CspClassPrediction[files.Length];
            foreach (int i in Enumerable.Range(0, files.Length).OrderBy(i => (i * 7 + client) % files.Length)) got[i] = await predictor.PredictAsync(files[i]);
            return got;
        })));
        // Then one at a time: a lone request gets the same numbers.
        var sequential = new List<CspClassPrediction>();
        foreach (var file in files) sequential.Add(await predictor.PredictAsync(file));
        for (int i = 0; i < files.Length; i++)
        {
            AssertSameScores(expected[i], sequential[i].Scores, $"image {i}, alone");
            foreach (var client in answers) AssertSameScores(expected[i], client[i].Scores, $"image {i}, under load");
            Assert.AreEqual(expected[i][0] >= expected[i][1] ? "light" : "dark", sequential[i].Best.Label);
        }
        var stats = predictor.Statistics;
        Assert.AreEqual(32 * 12 + 12, stats.Images);
        Assert.IsTrue(stats.LargestBatch is > 1 and <= 8, $"batches of 2..8 images under load (largest {stats.LargestBatch})");
        Assert.IsTrue(stats.Batches < stats.Images, "requests shared forward passes");
    }

    [TestMethod]
    [Timeout(120_000)]
    public async Task ConcurrentDetectorRequestsGetTheTransformsExactBoxes()
    {
        using var detector = CompatModels.Load<CspObjectDetectionTransformer>(CompatModels.Detector);
        var boxes = Transformed<float[]>(detector, "PredictedBoundingBoxes");
        var scores = Transformed<float[]>(detector, "Score");
        var labels = Transformed<uint[]>(detector, "PredictedLabel");
        using var predictor = new CspDetectionPredictor(detector);
        var files = Files();
        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => Task.WhenAll(files.Select(f => predictor.PredictAsync(f))))));
        foreach (var run in answers.Append(await Task.WhenAll(files.Select(f => predictor.PredictAsync(f)))))
            for (int i = 0; i < files.Length; i++)
            {
                var found = run[i];
                Assert.AreEqual(scores[i].Length, found.Count, $"image {i}: detections");
                AssertSameScores(scores[i], found.Select(d => d.Score).ToArray(), $"image {i}: scores");
                CollectionAssert.AreEqual(labels[i].Select(k => detector.ClassNames![(int)k - 1]).ToArray(), found.Select(d => d.Label).ToArray(), $"image {i}: labels");
                var corners = found.SelectMany(d => new[] { d.Box.X0, d.Box.Y0, d.Box.X1, d.Box.Y1 }).ToArray();
                for (int c = 0; c < corners.Length; c++) Assert.AreEqual(boxes[i][c], corners[c], 1e-3f, $"image {i}: box value {c}");
            }
    }

    [TestMethod]
    [Timeout(60_000)]
    public async Task QueuedRequestsShareOneForwardPassAndNeverWaitForADelayNobodyFills()
    {
        using var classifier = CompatModels.Load<CspImageClassificationTransformer>(CompatModels.Classifier);
        // A delay far beyond the test's timeout: a batch completes only because it is full or because nobody else is arriving.
        using var predictor = new CspClassificationPredictor(classifier, new CspBatchPredictorOptions { MaxBatchSize = 4, MaxDelay = TimeSpan.FromSeconds(10) });
        var files = Files();
        Task<CspClassPrediction>[] pending;
        using (predictor.Batcher.Hold())
        {
            pending = files.Take(6).Select(f => predictor.PredictAsync(f)).ToArray();
            Assert.AreEqual(6, predictor.Batcher.Queued, "each request is queued before PredictAsync returns");
        }
        await Task.WhenAll(pending);
        Assert.AreEqual(new CspBatchPredictorStatistics(6, 2, 4), predictor.Statistics, "a full batch of 4, then the 2 left");
        await predictor.PredictAsync(files[0]);
        Assert.AreEqual(new CspBatchPredictorStatistics(7, 3, 4), predictor.Statistics, "a lone request goes alone");
        Assert.AreEqual(0L, predictor.Batcher.DelayWaits, "no batch waited on the delay: every request was queued, nobody else was on the way");
    }

    [TestMethod]
    [Timeout(60_000)]
    public void TheScoringThreadSetsItsCountOnceAndLeavesTheProcessDefault()
    {
        int DefaultOnANewThread()
        {
            int seen = 0;
            var thread = new Thread(() => seen = torch.get_num_threads());
            thread.Start();
            thread.Join();
            return seen;
        }
        using var classifier = CompatModels.Load<CspImageClassificationTransformer>(CompatModels.Classifier);
        int before = DefaultOnANewThread(), here = torch.get_num_threads();
        int other = before == 1 ? 2 : 1;
        using (var predictor = new CspClassificationPredictor(classifier, new CspBatchPredictorOptions { Threads = other, MaxBatchSize = 1 }))
        {
            foreach (var file in Files()) predictor.PredictAsync(File.ReadAllBytes(CompatModels.Images[0])).GetAwaiter().GetResult();
            Assert.AreEqual(0, TorchThreads.OpenScopes, "no per-batch scope: the count was set once on the scoring thread");
            Assert.AreEqual(before, DefaultOnANewThread(), "new threads still take the process default");
            Assert.AreEqual(here, torch.get_num_threads(), "the caller's thread keeps its count");
        }
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new CspClassificationPredictor(classifier, new CspBatchPredictorOptions { Threads = 0 }).Dispose());
    }

    [TestMethod]
    [Timeout(60_000)]
    public async Task BadInputCancellationAndDisposalSayWhatHappened()
    {
        using var classifier = CompatModels.Load<CspImageClassificationTransformer>(CompatModels.Classifier);
        var predictor = new CspClassificationPredictor(classifier, new CspBatchPredictorOptions { MaxBatchSize = 4, MaxDelay = TimeSpan.FromSeconds(10) });
        var empty = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => predictor.PredictAsync(ReadOnlyMemory<byte>.Empty));
        StringAssert.Contains(empty.Message, "empty");
        var text = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => predictor.PredictAsync("not an image"u8.ToArray()));
        StringAssert.Contains(text.Message, "not a decodable image");
        var whole = File.ReadAllBytes(CompatModels.Images[0]);
        var cut = await Assert.ThrowsExactlyAsync<InvalidDataException>(() => predictor.PredictAsync(whole.AsMemory(0, whole.Length / 2)));
        StringAssert.Contains(cut.Message, "truncated");

        // A request waiting for its batch (the delay is long) is cancelled by its token; one still queued at disposal fails.
        using var cancel = new CancellationTokenSource();
        var waiting = predictor.PredictAsync(whole, cancel.Token);
        var queued = predictor.PredictAsync(whole);
        cancel.Cancel();
        var late = predictor.PredictAsync(whole);
        predictor.Dispose();
        // The batch may have formed before the cancel (then all three complete); else the cancelled one says so.
        try
        {
            await waiting;
        }
        catch (OperationCanceledException)
        {
        }
        await Assert.ThrowsExactlyAsync<ObjectDisposedException>(() => predictor.PredictAsync(whole));
        foreach (var t in new[] { queued, late })
            try
            {
                Assert.AreEqual(2, (await t).Scores.Count);
            }
            catch (ObjectDisposedException e)
            {
                StringAssert.Contains(e.Message, "disposed");
            }
        Assert.AreEqual(2, CompatModels.Load<CspImageClassificationTransformer>(CompatModels.Classifier).Classes, "the transformer outlives its predictor");
    }

    [TestMethod]
    public void OptionsAreCheckedAndModelsAreFoundInChains()
    {
        using var classifier = CompatModels.Load<CspImageClassificationTransformer>(CompatModels.Classifier);
        foreach (var bad in new[]
        {
            new CspBatchPredictorOptions { MaxBatchSize = 0 }, new CspBatchPredictorOptions { MaxDelay = TimeSpan.FromSeconds(-1) },
            new CspBatchPredictorOptions { QueueCapacity = 0 },
        })
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new CspClassificationPredictor(classifier, bad));
        var chain = new TransformerChain<ITransformer>(new TransformerChain<ITransformer>(classifier));
        Assert.AreSame(classifier, CspModel.Find<CspImageClassificationTransformer>(chain));
        Assert.IsNull(CspModel.Find<CspObjectDetectionTransformer>(chain));
    }
}
