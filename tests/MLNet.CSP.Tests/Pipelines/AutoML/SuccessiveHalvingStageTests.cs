using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Pipelines.AutoML;

namespace MLNet.CSP.Tests.Pipelines.AutoML;

/// <summary>Successive halving on its own, with a given cost, on the tiny set.</summary>
[TestClass]
public sealed class SuccessiveHalvingStageTests : TempDirectoryTest
{
    [TestMethod]
    public void WithAFinalFitToFollowAFirstBracketOfOneConfigurationRunsAShortRungOnly()
    {
        using var cancel = new CancellationTokenSource();
        var progress = new Progress(t => { if (t is { Stage: CspSearchStage.FineTune, Status: CspTrialStatus.Completed }) cancel.Cancel(); });
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

    private sealed class Progress(Action<CspTrialResult> report) : IProgress<CspTrialResult>
    {
        public void Report(CspTrialResult value) => report(value);
    }
}
