using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Pipelines.AutoML;

namespace MLNet.CSP.Tests.Pipelines.AutoML;

/// <summary>Which trial is best for each metric, and what happens to the models it replaces.</summary>
[TestClass]
public sealed class BestModelTests
{
    private static CspTrialResult Trial(int id, double? metric) => new()
    {
        TrialId = id, Stage = CspSearchStage.FineTune, Parameters = new CspImageClassificationSearchSpace(), Status = CspTrialStatus.Completed, Metric = metric,
    };

    [TestMethod]
    public void AccuracyHigherWinsLogLossLowerWinsAndReplacedModelsAreDisposed()
    {
        using var accuracy = new BestModel(CspSearchMetric.MicroAccuracy);
        var first = new Part();
        var second = new Part();
        Assert.IsTrue(accuracy.Offer(Trial(1, 0.80), null, first));
        Assert.IsFalse(accuracy.Offer(Trial(2, 0.79), null, second), "A lower accuracy does not replace the best.");
        Assert.IsFalse(accuracy.Offer(Trial(3, 0.80), null, second), "A tie keeps the earlier (cheaper) trial.");
        Assert.IsFalse(accuracy.Offer(Trial(4, null), null, second), "A trial without a metric never wins.");
        Assert.IsFalse(accuracy.Offer(Trial(5, double.NaN), null, second));
        Assert.IsFalse(first.Disposed);
        Assert.IsTrue(accuracy.Offer(Trial(6, 0.81), null, second));
        Assert.IsTrue(first.Disposed, "The replaced model's libtorch memory is freed.");
        Assert.AreEqual(6, accuracy.Trial!.TrialId);
        accuracy.Release();
        accuracy.Dispose();
        Assert.IsFalse(second.Disposed, "A released model belongs to the caller.");

        using var logLoss = new BestModel(CspSearchMetric.LogLoss);
        Assert.IsTrue(logLoss.Offer(Trial(1, 0.9), null));
        Assert.IsTrue(logLoss.Offer(Trial(2, 0.5), null), "A lower log-loss is better.");
        Assert.IsFalse(logLoss.Offer(Trial(3, 0.7), null));
        Assert.AreEqual(2, logLoss.Trial!.TrialId);
    }

    [TestMethod]
    public void AModelSharedByTwoTrialsIsKeptWhileEitherIsBest()
    {
        using var best = new BestModel(CspSearchMetric.MacroAccuracy);
        var featurizer = new Part();
        best.Offer(Trial(1, 0.5), null, featurizer);
        best.Offer(Trial(2, 0.6), null, featurizer);
        Assert.IsFalse(featurizer.Disposed, "Two heads on one featurizer: the featurizer stays.");
        Assert.IsTrue(best.Owns(featurizer));
    }

    private sealed class Part : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
