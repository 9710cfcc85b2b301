using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Pipelines.AutoML;

namespace MLNet.CSP.Tests.Pipelines.AutoML;

/// <summary>The fine-tuning stage on its own, on the tiny set with given costs: random search (full-length trials, and what it does
/// when its only cost estimate is a forward pass) and successive halving.</summary>
[TestClass]
[TestCategory("Slow")]
public sealed class FineTuneStageTests : TempDirectoryTest
{
    [TestMethod]
    public void AFullTrialThatAForwardProbeSaysIsTooLongMeasuresItsFirstEpochThenContinues()
    {
        using var setup = SearchStateSetup.Create(Folder, seconds: 25, maxEpochs: 4);
        // A forward pass timed at 27 ms per image (hundreds of times too slow): 4 epochs "need" about 54 s of the 25.
        setup.State.Costs.RecordForward(("cs3darknet_s", 32), seconds: 15, images: 3 * 160 + 80);
        new FineTuneStage(setup.State, []).RunRandomSearch();
        var first = TrialsOfTheInitialConfiguration(setup);
        Assert.IsTrue(first.Any(t => t is { Status: CspTrialStatus.Completed, Epochs: 1, Rung: 0, ScheduleEpochs: 4 }), "One epoch of the 4-epoch schedule measured the cost.");
        var full = first.SingleOrDefault(t => t is { Status: CspTrialStatus.Completed, Epochs: 4, Rung: null });
        Assert.IsNotNull(full, "The trial then ran to its full length.");
        Assert.IsTrue(setup.Log.Any(m => m.Contains("its first epoch measures the cost", StringComparison.Ordinal)));
        Assert.IsTrue(setup.Log.Any(m => m.StartsWith($"trial #{full.TrialId}: Resuming from", StringComparison.Ordinal) && m.EndsWith("after epoch 1.", StringComparison.Ordinal)),
            "It continued from its own checkpoint instead of starting again. Log: " + string.Join(" | ", setup.Log));
        Assert.IsLessThanOrEqualTo(25.0, setup.State.Clock.ElapsedSeconds, "The 25 s budget is kept (search time).");
        Assert.IsTrue(setup.State.Costs.RungMeasured(("cs3darknet_s", 32), frozen: false), "The trials' epochs were timed.");
        var (perEpoch, perTrial) = setup.State.Costs.Rung(("cs3darknet_s", 32), frozen: false)!.Value;
        Assert.IsGreaterThan(0.0, perEpoch);
        Assert.IsGreaterThan(0.0, perTrial, "Reading the images, building the model and validating are the rung's fixed part, not an epoch's.");
    }

    [TestMethod]
    public void AFullTrialThatLooksShortOnACostNotMeasuredOnItsOwnCombinationStillMeasuresItsFirstEpoch()
    {
        using var setup = SearchStateSetup.Create(Folder, seconds: 25, maxEpochs: 4);
        // A forward pass timed at 0.1 ms per image: 4 epochs "need" a fraction of a second. On full Fashion-MNIST such an
        // underestimate started a 10-epoch trial that the deadline stopped, and the search ended with no model at all.
        setup.State.Costs.RecordForward(("cs3darknet_s", 32), seconds: 0.056, images: 3 * 160 + 80);
        new FineTuneStage(setup.State, []).RunRandomSearch();
        var first = TrialsOfTheInitialConfiguration(setup);
        Assert.IsTrue(first.Any(t => t is { Status: CspTrialStatus.Completed, Epochs: 1, Rung: 0, ScheduleEpochs: 4 }),
            "Its first epoch ran as a measuring rung, a model to fall back on if the rest does not finish.");
        Assert.IsTrue(first.Any(t => t is { Status: CspTrialStatus.Completed, Epochs: 4, Rung: null }), "Measured to fit, it then ran to its full length.");
    }

    [TestMethod]
    public void WithAFinalFitToFollowAFirstBracketOfOneConfigurationRunsAShortRungOnly()
    {
        using var cancel = new CancellationTokenSource();
        var progress = new TrialProgress(t => { if (t is { Stage: CspSearchStage.FineTune, Status: CspTrialStatus.Completed }) cancel.Cancel(); });
        using var setup = SearchStateSetup.Create(Folder, seconds: 60, cancel.Token, progress, maxEpochs: null);
        // 8 s per epoch (far more than the tiny set takes): three configurations cannot get 2 epochs each in 60 s, one gets 7.
        setup.State.Costs.RecordRung(("cs3darknet_s", 32), false, seconds: 8, epochSeconds: [8]);

        new FineTuneStage(setup.State, []).RunSuccessiveHalving(finalFitFollows: true);
        var first = setup.State.Trials.First(t => t.Stage == CspSearchStage.FineTune);
        Assert.AreEqual(CspTrialStatus.Completed, first.Status, first.Error);
        Assert.AreEqual(2, first.Epochs, "A 2-epoch rung measures the configuration; the final fit trains it longer on all the images.");
        Assert.AreEqual(2, first.ScheduleEpochs);
        Assert.IsTrue(setup.Log.Any(m => m.Contains("hold a single configuration; it runs 2 of the ", StringComparison.Ordinal) && m.EndsWith(" epochs that fit, the rest goes to the final fit.", StringComparison.Ordinal)),
            "Log: " + string.Join(" | ", setup.Log));
    }

    /// <summary>Prints every trial (the test's log) and returns those of the search space's initial configuration, drawn first.</summary>
    private static List<CspTrialResult> TrialsOfTheInitialConfiguration(SearchStateSetup setup)
    {
        foreach (var t in setup.State.Trials) Console.WriteLine(t + (t.Error is null ? "" : " " + t.Error));
        string initial = setup.State.Space.Initial.ToString();
        return setup.State.Trials.Where(t => t.Parameters.ToString() == initial).ToList();
    }
}
