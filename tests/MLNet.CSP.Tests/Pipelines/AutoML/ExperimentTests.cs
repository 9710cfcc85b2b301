using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Pipelines.AutoML;

namespace MLNet.CSP.Tests.Pipelines.AutoML;

/// <summary>
/// The AutoML search end to end on a tiny Fashion-MNIST set with budgets of seconds. Every test but one runs on
/// <see cref="FakeSearchTime"/> (time advances as the search reads it), so what a budget allows is the same on any machine;
/// <see cref="OnTheRealClockASearchReturnsWithinItsBudget"/> checks the budget against the wall clock, with a generous bound.
/// </summary>
[TestClass]
[TestCategory("Slow")]
public sealed class ExperimentTests : TempDirectoryTest
{
    /// <summary>A tiny Fashion-MNIST set: <paramref name="perClass"/> training and <paramref name="validationPerClass"/> validation images per class.</summary>
    internal static (MLContext Ml, IDataView Train, IDataView Validation) Tiny(int perClass = 24, int validationPerClass = 8)
    {
        var ml = new MLContext(seed: 1);
        IDataView Images(IEnumerable<ImageRow> rows)
        {
            var data = ml.Data.LoadFromEnumerable(rows.ToList());
            return ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(data).Transform(data);
        }
        var train = FashionMnist.Load("train").GroupBy(r => r.Label).SelectMany(g => g.Take(perClass));
        var validation = FashionMnist.Load("test").GroupBy(r => r.Label).SelectMany(g => g.Take(validationPerClass));
        return (ml, Images(train), Images(validation));
    }

    private static CspImageClassificationExperimentOptions Options(uint seconds, string? checkpoints = null, TimeProvider? time = null) => new()
    {
        Time = time ?? FakeSearchTime.Create(),
        TrainingTimeInSeconds = seconds,
        Seed = 3,
        CropFraction = 1.0,
        BatchSize = 32,
        MaxEpochs = 3,
        FeatureStageFraction = 0.4,
        FinalFitFraction = 0, // the tests below compare the returned model with its trial; the final fit has its own
        TorchThreads = 2,
        CheckpointDirectory = checkpoints,
    };

    [TestMethod]
    [Timeout(600_000)]
    public async Task SearchesBothStagesWithinTheBudgetAndTheBestModelReloadsInAnotherProcess()
    {
        var (ml, train, validation) = Tiny();
        var reported = new List<CspTrialResult>();
        var log = new List<string>();
        ml.Log += (_, e) => { if (e.Source.Contains("CspAutoML", StringComparison.Ordinal)) lock (log) log.Add(e.RawMessage); };
        var experiment = ml.CspAutoML().CreateImageClassificationExperiment(Options(30, Path.Combine(Folder, "search")))
            .SetDataset(train, validation).SetSearchSpace<TinySpace>().SetProgress(new SynchronousProgress(reported));
        var result = await experiment.RunAsync();
        foreach (var t in result.Trials) Console.WriteLine(t + (t.Error is null ? "" : " " + t.Error));
        Console.WriteLine($"{result.Elapsed.TotalSeconds:F1} s (search time) for a 30 s budget; best {result.BestTrial}");

        Assert.IsLessThanOrEqualTo(30.0, result.Elapsed.TotalSeconds, "The budget is kept.");
        Assert.IsGreaterThanOrEqualTo(30 * 0.8, result.Elapsed.TotalSeconds, "The budget is used: fine-tuning brackets fill the time left.");
        var features = result.Trials.Where(t => t.Stage == CspSearchStage.Features && t.Status == CspTrialStatus.Completed).ToList();
        var fineTune = result.Trials.Where(t => t.Stage == CspSearchStage.FineTune && t.Status is CspTrialStatus.Completed or CspTrialStatus.Pruned).ToList();
        Assert.IsTrue(features.Select(t => (t.Parameters.ImageSize, t.Parameters.Head)).Distinct().Count() >= 2, "Stage 1 fits several heads.");
        Assert.IsNotEmpty(fineTune, "Stage 2 ran.");
        Assert.IsTrue(fineTune.Any(t => t.Rung == 1 && t.Epochs == 3), "A promoted trial reached the 3-epoch rung.");
        Assert.IsTrue(result.Trials.Any(t => t.Pruned), "Successive halving pruned some trials.");
        foreach (var promoted in fineTune.Where(t => t.Rung == 1))
        {
            Assert.IsTrue(result.Trials.Any(t => t.TrialId == promoted.TrialId && t.Rung == 0 && t.Status == CspTrialStatus.Completed), "Promoted trials completed rung 0 first.");
            Assert.IsTrue(log.Any(m => m.StartsWith($"trial #{promoted.TrialId}: Resuming from ", StringComparison.Ordinal) && m.EndsWith("after epoch 1.", StringComparison.Ordinal)),
                $"Trial #{promoted.TrialId} continued from its rung-0 checkpoint instead of starting over. Its log: {string.Join(" | ", log.Where(m => m.StartsWith($"trial #{promoted.TrialId}:", StringComparison.Ordinal)))}");
        }
        Assert.IsTrue(result.Trials.All(t => t.Status != CspTrialStatus.Running));
        // A pruned configuration is not continued: its checkpoint directory (weights and optimizer state) is deleted, so at most
        // the configurations that were not pruned keep one.
        var configurations = result.Trials.Where(t => t.Stage == CspSearchStage.FineTune && t.Status != CspTrialStatus.NotStarted).GroupBy(t => t.TrialId).ToList();
        int pruned = configurations.Count(g => g.Last().Status == CspTrialStatus.Pruned);
        Assert.IsGreaterThan(0, pruned);
        int kept = Directory.GetDirectories(Path.Combine(Folder, "search"), "trial-*").Length;
        Assert.IsLessThanOrEqualTo(configurations.Count - pruned, kept, $"{kept} checkpoint directories for {configurations.Count} configurations, {pruned} pruned.");
        Assert.IsTrue(result.Trials.Where(t => t.Metric is not null).All(t => t.PeakMemoryBytes > 0 && t.Duration > TimeSpan.Zero));
        double best = result.Trials.Where(t => t.Metric is not null).Max(t => t.Metric!.Value);
        Assert.AreEqual(best, result.BestTrial.Metric, "The best trial has the best validation metric.");
        Assert.IsTrue(reported.Any(t => t.Status == CspTrialStatus.Running) && reported.Count > result.Trials.Count, "Progress reports starts and ends.");

        // The returned model scores as its trial was scored, maps the string labels itself, and is saved with the history.
        var metrics = ml.MulticlassClassification.Evaluate(result.Model.Transform(validation));
        Assert.AreEqual(result.BestTrial.MicroAccuracy!.Value, metrics.MicroAccuracy, 1e-9);
        var csv = File.ReadAllLines(result.TrialHistoryPath!);
        Assert.HasCount(result.Trials.Count + 1, csv);

        // The best model (a fine-tuned or frozen-feature classifier behind the search's own label map) reloads in a fresh process
        // with the same scores.
        string zip = Path.Combine(Folder, "best.zip"), list = Path.Combine(Folder, "images.txt"), output = Path.Combine(Folder, "scores.bin");
        ml.Model.Save(result.Model, train.Schema, zip);
        File.WriteAllLines(list, validation.GetColumn<string>("ImagePath"));
        FeaturizerTests.RunProbe(zip, list, "Score", output);
        var expected = result.Model.Transform(validation).GetColumn<VBuffer<float>>("Score").SelectMany(v => v.DenseValues()).ToArray();
        var bytes = File.ReadAllBytes(output);
        var fresh = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, fresh, 0, bytes.Length);
        CollectionAssert.AreEqual(expected, fresh, "Same scores after Model.Load in another process.");
        result.Dispose();
    }

    [TestMethod]
    [Timeout(600_000)]
    public async Task TheBestModelGivesIdenticalPredictionsInAFreshProcess()
    {
        var (ml, train, validation) = Tiny(perClass: 16);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        var options = Options(12);
        options.Strategy = CspSearchStrategy.FrozenFeaturesOnly;
        var result = await ml.CspAutoML().CreateImageClassificationExperiment(options)
            .SetDataset(keys.Transform(train), keys.Transform(validation)).SetSearchSpace<TinySpace>().RunAsync();
        Assert.IsTrue(result.Trials.All(t => t.Stage == CspSearchStage.Features));

        string zip = Path.Combine(Folder, "best.zip"), list = Path.Combine(Folder, "images.txt"), output = Path.Combine(Folder, "scores.bin");
        ml.Model.Save(result.Model, keys.Transform(train).Schema, zip);
        var paths = validation.GetColumn<string>("ImagePath").ToArray();
        File.WriteAllLines(list, paths);
        FeaturizerTests.RunProbe(zip, list, "Score", output);
        var expected = result.Model.Transform(validation).GetColumn<VBuffer<float>>("Score").SelectMany(v => v.DenseValues()).ToArray();
        var bytes = File.ReadAllBytes(output);
        var actual = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, actual, 0, bytes.Length);
        CollectionAssert.AreEqual(expected, actual, "Same scores after Model.Load in another process.");
    }

    [TestMethod]
    [Timeout(600_000)]
    public async Task RandomSearchMeasuresEachCombinationsFirstEpochThenRunsFullLengthTrials()
    {
        var (ml, train, validation) = Tiny(perClass: 16);
        var options = Options(20);
        options.Strategy = CspSearchStrategy.RandomSearch;
        options.MaxEpochs = 2;
        var result = await ml.CspAutoML().CreateImageClassificationExperiment(options).SetDataset(train, validation).SetSearchSpace<TinySpace>().RunAsync();
        foreach (var t in result.Trials) Console.WriteLine(t + (t.Error is null ? "" : " " + t.Error));
        // No first stage measured anything: a combination's first trial runs one epoch of its schedule to measure the cost
        // (the timed forward pass is only an estimate), later ones of that combination run their full length directly.
        Assert.IsTrue(result.Trials.All(t => t.Stage == CspSearchStage.FineTune));
        var measuring = result.Trials.Where(t => t.Rung is not null && t.Status != CspTrialStatus.NotStarted).ToList(); // planned ones the time left did not fit are listed too
        Assert.IsTrue(measuring.All(t => t is { Rung: 0, Epochs: 1, ScheduleEpochs: 2 }), "Only measuring rungs: one epoch of the full schedule.");
        Assert.AreEqual(measuring.Count, measuring.Select(t => (t.Parameters.Architecture, t.Parameters.ImageSize, t.Parameters.FreezeBackbone)).Distinct().Count(),
            "One measuring rung per architecture, size and frozen flag.");
        var full = result.Trials.Where(t => t is { Status: CspTrialStatus.Completed, Rung: null }).ToList();
        Assert.IsGreaterThanOrEqualTo(2, full.Count, "Full-length trials fill the budget.");
        Assert.IsTrue(full.All(t => t.Epochs == 2 && t.ScheduleEpochs == 2));
        Assert.AreEqual(result.Trials.Where(t => t.Status == CspTrialStatus.Completed).Max(t => t.Metric), result.BestTrial.Metric);
    }

    [TestMethod]
    [Timeout(600_000)]
    public async Task TheFinalFitTrainsTheWinnerAgainWithinTheBudget()
    {
        var (ml, train, validation) = Tiny(perClass: 16);
        var options = Options(30, Path.Combine(Folder, "search"));
        (options.FeatureStageFraction, options.FinalFitFraction) = (0.2, 0.35);
        var result = await ml.CspAutoML().CreateImageClassificationExperiment(options).SetDataset(train, validation).SetSearchSpace<TinySpace>().RunAsync();
        foreach (var t in result.Trials) Console.WriteLine(t + (t.Error is null ? "" : " " + t.Error));

        Assert.IsLessThanOrEqualTo(30.0, result.Elapsed.TotalSeconds, "The budget is kept.");
        Assert.IsTrue(result.Trials.Any(t => t.Stage == CspSearchStage.FineTune && t.Status is CspTrialStatus.Completed or CspTrialStatus.Pruned), "Stage 2 ran before the time kept back.");
        Assert.IsTrue(result.Trials.Where(t => t.Stage != CspSearchStage.FinalFit).All(t => t.EndedAtSeconds <= 30 * 0.65 + 1), "Stages 1 and 2 end where the final fit's time starts.");
        var best = result.BestTrial;
        var final = result.FinalFit ?? throw new AssertFailedException("No final fit.");
        Assert.AreEqual(CspTrialStatus.Completed, final.Status);
        Assert.AreEqual(best.TrialId, final.TrialId, "The winner's configuration is trained again.");
        Assert.AreEqual(best.Parameters.ToString(), final.Parameters.ToString());
        Assert.IsGreaterThanOrEqualTo(best.Epochs * 160, final.Epochs * 240, "Never fewer steps than the winner trained (its epochs on 160 images; the final fit's on 240).");
        Assert.IsNull(final.Metric, "Nothing is left to validate the final fit on.");
        Assert.AreSame(final, result.Trials[^1]);
        var csv = File.ReadAllLines(result.TrialHistoryPath!);
        Assert.HasCount(result.Trials.Count + 1, csv, "The final fit is in the trial history.");
        StringAssert.Contains(csv[^1], ",FinalFit,");
        var scored = ml.MulticlassClassification.Evaluate(result.Model.Transform(validation));
        Assert.IsGreaterThan(0.3, scored.MicroAccuracy, "The final model classifies (chance is 10%).");
    }

    [TestMethod]
    [Timeout(600_000)]
    public async Task CancellingReturnsTheBestSoFarWithoutFinishingTheRunningTrial()
    {
        var (ml, train, validation) = Tiny();
        using var cancel = new CancellationTokenSource();
        // Cancelled as the first fine-tuning trial starts, as a user's Cancel button would: the trial stops at its next batch.
        var experiment = ml.CspAutoML().CreateImageClassificationExperiment(Options(600)).SetDataset(train, validation).SetSearchSpace<SlowTrialSpace>()
            .SetProgress(new SynchronousProgress(t =>
            {
                if (t.Stage == CspSearchStage.FineTune && t.Status == CspTrialStatus.Running) cancel.Cancel();
            }));
        var result = await experiment.RunAsync(cancel.Token);
        var fineTuning = result.Trials.Where(t => t.Stage == CspSearchStage.FineTune).ToList();
        foreach (var t in result.Trials) Console.WriteLine(t + (t.Error is null ? "" : " " + t.Error));
        Assert.IsTrue(result.Cancelled);
        Assert.IsLessThan(600.0 / 2, result.Elapsed.TotalSeconds, "The 600 s search returned long before its budget.");
        Assert.HasCount(1, fineTuning, "Nothing starts after the cancellation.");
        Assert.AreEqual(CspTrialStatus.Cancelled, fineTuning[0].Status, "The running trial is recorded as cancelled.");
        Assert.IsNotNull(result.Model, "The best model so far is returned.");
        Assert.AreEqual(CspSearchStage.Features, result.BestTrial.Stage);
        Assert.AreEqual(result.BestTrial.MicroAccuracy!.Value, ml.MulticlassClassification.Evaluate(result.Model.Transform(validation)).MicroAccuracy, 1e-9);
    }

    [TestMethod]
    [Timeout(600_000)]
    public async Task AFailingTrialIsRecordedAndTheSearchGoesOn()
    {
        var (ml, train, validation) = Tiny(perClass: 16);
        int reports = 0;
        // The caller's progress handler throws too: it is named in a warning and the search goes on.
        var result = await ml.CspAutoML().CreateImageClassificationExperiment(Options(25)).SetDataset(train, validation)
            .SetSearchSpace<DivergingFirstSpace>().SetProgress(new SynchronousProgress(_ => throw new InvalidOperationException($"handler fault {++reports}"))).RunAsync();
        foreach (var t in result.Trials) Console.WriteLine(t + (t.Error is null ? "" : " " + t.Error));
        Assert.IsGreaterThan(result.Trials.Count, reports, "Every trial was still reported (started and ended).");
        var failed = result.Trials.Where(t => t.Status == CspTrialStatus.Failed).ToList();
        Assert.IsNotEmpty(failed);
        Assert.IsTrue(failed.All(t => t.Parameters.LearningRate == 1e9));
        StringAssert.Contains(failed[0].Error, "training loss became");
        Assert.IsTrue(result.Trials.Any(t => t.Stage == CspSearchStage.FineTune && t.Status is CspTrialStatus.Completed or CspTrialStatus.Pruned && t.TrialId > failed[0].TrialId),
            "Trials after the failure ran.");
        Assert.IsNotNull(result.BestTrial.Metric, "The search still returns its best model.");
        Assert.IsNotNull(result.Model);
    }

    [TestMethod]
    [Timeout(600_000)]
    public async Task ASecondRunResumesFromTheTrialHistory()
    {
        var (ml, train, validation) = Tiny(perClass: 16);
        string directory = Path.Combine(Folder, "search");
        var first = await ml.CspAutoML().CreateImageClassificationExperiment(Options(20, directory)).SetDataset(train, validation)
            .SetSearchSpace<TinySpace>().RunAsync();
        var second = await ml.CspAutoML().CreateImageClassificationExperiment(Options(20, directory)).SetDataset(train, validation)
            .SetSearchSpace<TinySpace>().RunAsync();
        foreach (var t in second.Trials) Console.WriteLine(t);
        var reused = second.Trials.Where(t => t.FromHistory).ToList();
        var finishedBefore = first.Trials.Where(t => t.Status is CspTrialStatus.Completed or CspTrialStatus.Pruned).ToList();
        var headsBefore = finishedBefore.Where(t => t.Stage == CspSearchStage.Features).ToList();
        Assert.IsNotEmpty(headsBefore);
        foreach (var head in headsBefore)
            Assert.IsTrue(reused.Any(t => t.Stage == CspSearchStage.Features && t.Parameters.ToString() == head.Parameters.ToString() && t.Metric == head.Metric),
                $"{head} is read back, not run again.");
        foreach (var t in reused)
            Assert.IsTrue(finishedBefore.Any(f => f.Stage == t.Stage && f.Epochs == t.Epochs && f.Metric == t.Metric && f.Parameters.ToString() == t.Parameters.ToString()),
                $"{t} comes from the first run.");
        Assert.IsTrue(second.Trials.Count(t => !t.FromHistory && t.Metric is not null) > 0, "The second run used its time for new trials.");
        Assert.HasCount(first.Trials.Count + second.Trials.Count(t => !t.FromHistory) + 1, File.ReadAllLines(second.TrialHistoryPath!),
            "The history keeps the first run's rows and adds the second run's new ones.");
        var metrics = ml.MulticlassClassification.Evaluate(second.Model.Transform(validation));
        Assert.IsGreaterThan(0.3, metrics.MicroAccuracy, "The resumed search's model works (chance is 10%).");
        Assert.AreEqual(second.BestTrial.MicroAccuracy!.Value, metrics.MicroAccuracy, 1e-9,
            "The best model is the best trial's own (one read back from the history is the model the first run saved).");
    }

    [TestMethod]
    [Timeout(600_000)]
    public async Task ACancelledTokenEndsTheRunAndTheExperimentCanRunAgain()
    {
        var (ml, train, validation) = Tiny(perClass: 2);
        var experiment = ml.CspAutoML().CreateImageClassificationExperiment(Options(20)).SetDataset(train, validation).SetSearchSpace<TinySpace>();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAsync<OperationCanceledException>(() => experiment.RunAsync(cancelled.Token));
        var again = await Assert.ThrowsAsync<OperationCanceledException>(() => experiment.RunAsync(cancelled.Token),
            "A second call runs (and is cancelled) instead of finding the experiment still 'running'.");
        StringAssert.Contains(again.Message, "cancelled before a trial finished");
    }

    [TestMethod]
    [Timeout(300_000)]
    public async Task ASlowStartThatSpendsTheFeatureStagesShareStillGetsAFirstResult()
    {
        // The frozen-features stage is given 0.1 s of the 20 s: its share is spent (as loading the images on a busy machine spent
        // it in a real run) before the first combination could start. The first combination still runs, past the share, so the
        // search has a result; nothing else is started in the spent stage.
        var (ml, train, validation) = Tiny(perClass: 8, validationPerClass: 4);
        var options = Options(20);
        options.FeatureStageFraction = 0.005;
        using var result = await ml.CspAutoML().CreateImageClassificationExperiment(options).SetDataset(train, validation).SetSearchSpace<TinySpace>().RunAsync();
        foreach (var t in result.Trials) Console.WriteLine(t + (t.Error is null ? "" : " " + t.Error));
        var first = result.Trials[0];
        Assert.AreEqual(CspSearchStage.Features, first.Stage, first.ToString());
        Assert.AreEqual(CspTrialStatus.Completed, first.Status, first.Error);
        Assert.AreEqual(32, first.Parameters.ImageSize, "The initial combination comes first.");
        Assert.IsFalse(result.Trials.Any(t => t.Stage == CspSearchStage.Features && t.Parameters.ImageSize == 16 && t.Status == CspTrialStatus.Completed),
            "Once a trial has completed, the spent stage starts no other combination.");
        Assert.IsFalse(result.Trials.Any(t => t.Stage == CspSearchStage.Features && t.Status == CspTrialStatus.Cancelled),
            "The other heads are not started in the spent stage (recorded as not started, not cancelled at once).");
        Assert.IsLessThanOrEqualTo(20.0, result.Elapsed.TotalSeconds, "The budget is kept.");
        Assert.IsNotNull(result.Model);
    }

    /// <summary>The one test on the wall clock: a real search of 20 s returns, with its best model, well within a generous bound.</summary>
    [TestMethod]
    [Timeout(300_000)]
    public async Task OnTheRealClockASearchReturnsWithinItsBudget()
    {
        var (ml, train, validation) = Tiny(perClass: 16);
        var options = Options(20, time: TimeProvider.System);
        options.FinalFitFraction = 0.3;
        var watch = Stopwatch.StartNew();
        using var result = await ml.CspAutoML().CreateImageClassificationExperiment(options).SetDataset(train, validation).SetSearchSpace<TinySpace>().RunAsync();
        watch.Stop();
        Console.WriteLine($"{watch.Elapsed.TotalSeconds:F1} s for a 20 s budget; best {result.BestTrial}");
        Assert.IsLessThanOrEqualTo(20 + 60, watch.Elapsed.TotalSeconds, "The budget is kept (a minute of slack for a busy machine).");
        Assert.IsNotNull(result.Model);
    }

    /// <summary>
    /// <c>SetDataset(data, validationFraction)</c> holds out that share of the rows for validation, and
    /// <c>SetOptimizingMetric(LogLoss)</c> makes the lowest log-loss the best trial.
    /// </summary>
    [TestMethod]
    [Timeout(600_000)]
    public async Task AValidationFractionSplitsTheDataAndTheOptimizingMetricPicksTheBest()
    {
        var (ml, train, _) = Tiny(perClass: 24);
        var log = new List<string>();
        ml.Log += (_, e) => { if (e.Source.Contains("CspAutoML", StringComparison.Ordinal)) lock (log) log.Add(e.RawMessage); };
        var options = Options(15);
        options.Strategy = CspSearchStrategy.FrozenFeaturesOnly;
        using var result = await ml.CspAutoML().CreateImageClassificationExperiment(options)
            .SetDataset(train, validationFraction: 0.25).SetOptimizingMetric(CspSearchMetric.LogLoss).SetSearchSpace<TinySpace>().RunAsync();
        // ML.NET's TrainTestSplit (seeded) holds out each row with the given probability: about a quarter of the 240.
        var split = log.Select(m => System.Text.RegularExpressions.Regex.Match(m, @"(\d+) training and (\d+) validation images, metric LogLoss")).Single(m => m.Success);
        int trainRows = int.Parse(split.Groups[1].Value), validationRows = int.Parse(split.Groups[2].Value);
        Assert.AreEqual(240, trainRows + validationRows);
        Assert.IsTrue(validationRows is >= 45 and <= 75, $"About a quarter held out: {validationRows} of 240.");
        var scored = result.Trials.Where(t => t.LogLoss is not null).ToList();
        Assert.IsGreaterThanOrEqualTo(2, scored.Count, "Several trials to choose from.");
        Assert.AreEqual(scored.Min(t => t.LogLoss!.Value), result.BestTrial.LogLoss!.Value, "The best trial has the lowest log-loss.");
        Assert.IsTrue(scored.Any(t => t.MicroAccuracy > result.BestTrial.MicroAccuracy) || scored.All(t => t.MicroAccuracy <= result.BestTrial.MicroAccuracy),
            "(Accuracy is reported, not optimized.)");
    }

    [TestMethod]
    public void BadDataAndCallsAreRefusedWithClearErrors()
    {
        var (ml, train, _) = Tiny(perClass: 2);
        var experiment = ml.CspAutoML().CreateImageClassificationExperiment();
        var raw = ml.Data.LoadFromEnumerable(FashionMnist.Load("train").Take(4).ToList());
        var pathsAsImages = ml.Transforms.CopyColumns("Image", "ImagePath").Fit(raw).Transform(raw);
        var mismatch = Assert.Throws<ArgumentOutOfRangeException>(() => experiment.SetDataset(pathsAsImages));
        StringAssert.Contains(mismatch.Message, "Schema mismatch for input column 'Image'");
        var noLabel = Assert.Throws<ArgumentOutOfRangeException>(() => ml.CspAutoML().CreateImageClassificationExperiment("Category").SetDataset(train));
        StringAssert.Contains(noLabel.Message, "'Category'");
        Assert.Throws<InvalidOperationException>(() => experiment.RunAsync());
        Assert.Throws<ArgumentOutOfRangeException>(() => experiment.SetDataset(train, validationFraction: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ml.CspAutoML().CreateImageClassificationExperiment(new CspImageClassificationExperimentOptions { ReductionFactor = 1 }));
        var noFineTuning = Assert.Throws<ArgumentOutOfRangeException>(() => ml.CspAutoML().CreateImageClassificationExperiment(
            new CspImageClassificationExperimentOptions { FeatureStageFraction = 0.8, FinalFitFraction = 0.25 }));
        StringAssert.Contains(noFineTuning.Message, "FeatureStageFraction + FinalFitFraction must be below 1");
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train).Transform(train);
        var labelTypes = Assert.Throws<ArgumentOutOfRangeException>(() => ml.CspAutoML().CreateImageClassificationExperiment().SetDataset(train, keyed));
        StringAssert.Contains(labelTypes.Message, "Schema mismatch for label column 'Label'");
    }

    private sealed class SynchronousProgress(Action<CspTrialResult> report) : IProgress<CspTrialResult>
    {
        public SynchronousProgress(List<CspTrialResult> list) : this(list.Add)
        {
        }

        public void Report(CspTrialResult value)
        {
            lock (this) report(value);
        }
    }
}
