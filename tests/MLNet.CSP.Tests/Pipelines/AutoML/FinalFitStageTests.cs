using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Pipelines.AutoML;

namespace MLNet.CSP.Tests.Pipelines.AutoML;

/// <summary>The final fit on its own: a given winner, a given cost, the training and validation images of the tiny set.</summary>
[TestClass]
[TestCategory("Slow")]
public sealed class FinalFitStageTests : TempDirectoryTest
{
    private SearchStateSetup Create(uint seconds, CancellationToken token = default, IProgress<CspTrialResult>? progress = null, int? maxEpochs = 2) =>
        SearchStateSetup.Create(Folder, seconds, token, progress, maxEpochs);

    private static CspTrialResult Winner(CspSearchStage stage, int epochs, double metric = 0.5, CspHeadTrainer head = CspHeadTrainer.LbfgsMaximumEntropy) => new()
    {
        TrialId = 7, Stage = stage, Epochs = epochs, ScheduleEpochs = epochs, Status = CspTrialStatus.Completed, Metric = metric, MicroAccuracy = metric,
        Duration = TimeSpan.FromSeconds(1), Parameters = new CspImageClassificationSearchSpace { Architecture = "cs3darknet_s", ImageSize = 16, Head = head, FreezeBackbone = stage == CspSearchStage.Features },
    };

    [TestMethod]
    public void AFineTunedWinnerIsTrainedFromScratchOnTheTrainingAndValidationImages()
    {
        using var setup = Create(60);
        setup.State.OfferBest(Winner(CspSearchStage.FineTune, epochs: 1), null);
        setup.State.Costs.RecordRung(("cs3darknet_s", 16), false, seconds: 2, epochSeconds: [2]);

        var (trial, model) = new FinalFitStage(setup.State).Run() ?? throw new AssertFailedException("No final fit: " + string.Join(" | ", setup.Log));
        Assert.AreEqual(CspSearchStage.FinalFit, trial.Stage);
        Assert.AreEqual(CspTrialStatus.Completed, trial.Status);
        Assert.AreEqual(7, trial.TrialId);
        Assert.AreEqual(2, trial.Epochs, "As many epochs as fit, up to MaxEpochs.");
        Assert.IsTrue(setup.Log.Any(m => m.StartsWith("trial #7: Cached 240 training images", StringComparison.Ordinal)),
            "The 160 training and 80 validation images together. Log: " + string.Join(" | ", setup.Log));
        Assert.IsFalse(setup.Log.Any(m => m.Contains("Resuming", StringComparison.Ordinal)), "From scratch, not from a trial's checkpoint.");
        var scores = model.Transform(setup.Validation).GetColumn<VBuffer<float>>("Score").ToList();
        Assert.HasCount(80, scores);
        Assert.IsTrue(scores.All(s => s.Length == 10 && Math.Abs(s.DenseValues().Sum() - 1) < 1e-4), "Class probabilities for every validation image.");
        CollectionAssert.AreEqual(new[] { trial }, setup.State.Trials.ToArray(), "The final fit is recorded.");
        ((IDisposable)model).Dispose();
    }

    [TestMethod]
    public void AWinningHeadIsFittedAgainOnTheFeaturesOfEveryImage()
    {
        using var setup = Create(60);
        setup.State.OfferBest(Winner(CspSearchStage.Features, epochs: 0), null);

        var (trial, model) = new FinalFitStage(setup.State).Run() ?? throw new AssertFailedException("No final fit: " + string.Join(" | ", setup.Log));
        Assert.AreEqual(CspTrialStatus.Completed, trial.Status);
        Assert.AreEqual(0, trial.Epochs);
        var metrics = setup.Ml.MulticlassClassification.Evaluate(model.Transform(setup.Validation));
        // Its own trial scored 0.65-0.74 on these images without them; fitted on them too, the linear head does better.
        Assert.IsGreaterThan(0.75, metrics.MicroAccuracy, "The head was fitted on the validation images too.");
        ((IDisposable)model).Dispose();
    }

    [TestMethod]
    [DataRow(0.99, false, DisplayName = "the head stays best: it is fitted again")]
    [DataRow(0.01, true, DisplayName = "the longer trial wins: its configuration gets the final fit")]
    public void AHeadThatBeatShortRungsFacesOneLongerFineTuningTrialFirst(double headMetric, bool longerWins)
    {
        using var setup = Create(60);
        var rung = Winner(CspSearchStage.FineTune, epochs: 1, metric: 0.005) with { TrialId = 3, Rung = 0, Status = CspTrialStatus.Pruned };
        setup.State.Record(rung);
        setup.State.OfferBest(Winner(CspSearchStage.Features, epochs: 0, metric: headMetric), null);
        setup.State.Costs.RecordRung(("cs3darknet_s", 16), false, seconds: 2, epochSeconds: [2]);

        var final = new FinalFitStage(setup.State).Run();
        var longer = setup.State.Trials.Single(t => t.Stage == CspSearchStage.FineTune && t.TrialId != 3);
        Assert.AreEqual(CspTrialStatus.Completed, longer.Status);
        Assert.AreEqual(rung.Parameters.ToString(), longer.Parameters.ToString(), "The best fine-tuning configuration.");
        Assert.AreEqual(2, longer.Epochs, "Longer than its 1-epoch rung: as many epochs as fit, up to MaxEpochs.");
        Assert.IsNull(longer.Rung);
        Assert.IsNotNull(longer.Metric, "Validated like any trial.");
        Assert.AreEqual(longerWins, longer.Metric > headMetric);
        if (longerWins)
        {
            Assert.AreSame(longer, setup.State.Best.Trial, "The longer trial is the best now.");
            var (trial, model) = final ?? throw new AssertFailedException("The time left fits its final fit (2 epochs on all images).");
            Assert.AreEqual(longer.TrialId, trial.TrialId);
            ((IDisposable)model).Dispose();
        }
        else
        {
            Assert.AreEqual(CspSearchStage.Features, setup.State.Best.Trial!.Stage);
            var (trial, model) = final ?? throw new AssertFailedException("The head is fitted again.");
            Assert.AreEqual(7, trial.TrialId);
            ((IDisposable)model).Dispose();
        }
    }

    [TestMethod]
    public void AWinnerThatNeedsMoreEpochsThanTheTimeLeftFitsIsReturnedAsItIs()
    {
        using var setup = Create(20);
        setup.State.OfferBest(Winner(CspSearchStage.FineTune, epochs: 30), null);
        setup.State.Costs.RecordRung(("cs3darknet_s", 16), false, seconds: 60, epochSeconds: Enumerable.Repeat(2.0, 30).ToList());
        var stage = new FinalFitStage(setup.State);
        Assert.IsNull(stage.Run());
        Assert.IsTrue(stage.TooLittleTime, "The search is told, so fine-tuning can use the time instead.");
        Assert.IsEmpty(setup.State.Trials, "Nothing was started.");
        Assert.IsTrue(setup.Log.Any(m => m.StartsWith("Final fit skipped: ", StringComparison.Ordinal) && m.Contains("fewer than the 20 that take as many steps as the winner's 30 epochs on 160", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void AWinnerIsTrainedAgainForFewerEpochsWhenOnAllTheImagesTheyTakeAsManySteps()
    {
        using var setup = Create(30);
        setup.State.OfferBest(Winner(CspSearchStage.FineTune, epochs: 3), null);
        // 8 s per epoch on 160 images, 12 s on 240: 2 epochs fit 90% of the 30 s, and 2 x 240 images are more steps than 3 x 160.
        setup.State.Costs.RecordRung(("cs3darknet_s", 16), false, seconds: 8, epochSeconds: [8]);
        var (trial, model) = new FinalFitStage(setup.State).Run() ?? throw new AssertFailedException("No final fit: " + string.Join(" | ", setup.Log));

        Assert.IsTrue(setup.Log.Any(m => m.StartsWith("Final fit: ", StringComparison.Ordinal) && m.Contains(" for 2 epochs on all 240 images", StringComparison.Ordinal)),
            "Planned for 2 epochs, one fewer than the winner's: " + string.Join(" | ", setup.Log));
        Assert.AreEqual(CspTrialStatus.Completed, trial.Status);
        Assert.IsGreaterThanOrEqualTo(2, trial.Epochs);
        ((IDisposable)model).Dispose();
    }

    [TestMethod]
    public void AFinalFitSizedFromAnOptimisticCostShortensItsScheduleToEndByTheDeadline()
    {
        using var setup = Create(25, maxEpochs: null);
        setup.State.OfferBest(Winner(CspSearchStage.FineTune, epochs: 1), null);
        setup.State.Costs.RecordRung(("cs3darknet_s", 16), false, seconds: 0.004, epochSeconds: [0.004]); // hundreds of times too cheap
        var (trial, model) = new FinalFitStage(setup.State).Run() ?? throw new AssertFailedException("No final fit: " + string.Join(" | ", setup.Log));
        Console.WriteLine(string.Join(Environment.NewLine, setup.Log));

        Assert.AreEqual(CspTrialStatus.Completed, trial.Status, "It ended in time instead of being stopped at the deadline.");
        Assert.IsLessThan(25.0, setup.State.Clock.ElapsedSeconds, "Search time.");
        var planned = setup.Log.Select(m => System.Text.RegularExpressions.Regex.Match(m, @"^Final fit: .* for (\d+) epochs on all 240 images")).Single(m => m.Success);
        Assert.IsGreaterThan(3000, int.Parse(planned.Groups[1].Value), "Planned from the cost given.");
        Assert.IsTrue(trial.Epochs >= 2 && trial.Epochs < 1000, $"The epochs trained: {trial.Epochs}.");
        Assert.IsTrue(setup.Log.Any(m => m == $"trial #7: Schedule shortened to {trial.Epochs} epochs."), "The trainer shortened its schedule.");
        string last = setup.Log.Single(m => m.StartsWith($"trial #7: epoch {trial.Epochs}/", StringComparison.Ordinal));
        double lr = double.Parse(System.Text.RegularExpressions.Regex.Match(last, @", lr ([^,]+),").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.IsLessThan(0.1 * 0.002, lr, $"The learning rate annealed by the new end: {last}");
        ((IDisposable)model).Dispose();
    }

    [TestMethod]
    public void AFinalFitSizedFromAPessimisticCostLengthensItsScheduleOnceItsEpochsAreTimed()
    {
        using var setup = Create(40, maxEpochs: 6);
        setup.State.OfferBest(Winner(CspSearchStage.FineTune, epochs: 1), null);
        // 8 s per epoch (ten times or more what an epoch of 240 images at 16 px takes): 2 epochs planned, at 12 s each on 1.5x the
        // rows, in 90% of the 40 s.
        setup.State.Costs.RecordRung(("cs3darknet_s", 16), false, seconds: 8, epochSeconds: [8]);
        var (trial, model) = new FinalFitStage(setup.State).Run() ?? throw new AssertFailedException("No final fit: " + string.Join(" | ", setup.Log));
        Console.WriteLine(string.Join(Environment.NewLine, setup.Log));

        Assert.IsTrue(setup.Log.Any(m => m.StartsWith("Final fit: ", StringComparison.Ordinal) && m.Contains(" for 2 epochs on all 240 images", StringComparison.Ordinal)), "Planned from the cost given.");
        Assert.AreEqual(CspTrialStatus.Completed, trial.Status);
        Assert.AreEqual(6, trial.Epochs, "Lengthened to MaxEpochs, which its timed epochs fit.");
        Assert.IsTrue(setup.Log.Any(m => m == "trial #7: Schedule lengthened to 6 epochs."), "The trainer stretched its schedule.");
        Assert.IsTrue(setup.Log.Any(m => m == "Final fit: its schedule was lengthened from 2 to 6 epochs to use the time left."));
        Assert.IsTrue(setup.Log.Any(m => m.StartsWith("trial #7: epoch 1/2:", StringComparison.Ordinal)) && !setup.Log.Any(m => m.StartsWith("trial #7: epoch 2/2:", StringComparison.Ordinal)),
            "Lengthened after its first epoch (half of the plan): " + string.Join(" | ", setup.Log));
        double Lr(string line) => double.Parse(System.Text.RegularExpressions.Regex.Match(line, @", lr ([^,]+),").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        string second = setup.Log.Single(m => m.StartsWith("trial #7: epoch 2/", StringComparison.Ordinal));
        Assert.IsGreaterThan(0.5 * 0.002, Lr(second), $"The schedule was stretched, not only the epochs added at a learning rate annealed to 0 (2 of 2 epochs ends near 0): {second}");
        string last = setup.Log.Single(m => m.StartsWith("trial #7: epoch 6/6", StringComparison.Ordinal));
        Assert.IsLessThan(0.1 * 0.002, Lr(last), $"The learning rate annealed by the new end: {last}");
        Assert.IsLessThan(40.0, setup.State.Clock.ElapsedSeconds, "Search time.");
        ((IDisposable)model).Dispose();
    }

    [TestMethod]
    public void CancellingTheFinalFitRecordsItAndKeepsTheWinner()
    {
        using var cancel = new CancellationTokenSource();
        var progress = new TrialProgress(t => { if (t.Stage == CspSearchStage.FinalFit && t.Status == CspTrialStatus.Running) cancel.Cancel(); });
        using var setup = Create(60, cancel.Token, progress);
        setup.State.OfferBest(Winner(CspSearchStage.FineTune, epochs: 1), null);
        setup.State.Costs.RecordRung(("cs3darknet_s", 16), false, seconds: 2, epochSeconds: [2]);
        Assert.IsNull(new FinalFitStage(setup.State).Run());
        var recorded = setup.State.Trials.Single();
        Assert.AreEqual(CspTrialStatus.Cancelled, recorded.Status);
        StringAssert.Contains(recorded.Error, "the winning trial's own model is returned");
        Assert.AreEqual(CspSearchStage.FineTune, setup.State.Best.Trial!.Stage, "The winner stays the best trial.");
    }
}
