using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Training;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>The schedule against its formulas: linear warm-up to the peak, then cosine to zero or constant.</summary>
[TestClass]
public sealed class LearningRatesTests
{
    [TestMethod]
    public void WarmupThenCosine()
    {
        const long total = 110, warmup = 10;
        Assert.AreEqual(0.1, LearningRates.At(0, total, warmup, 1.0, CspLearningRateSchedule.Cosine), 1e-12);
        Assert.AreEqual(0.5, LearningRates.At(4, total, warmup, 1.0, CspLearningRateSchedule.Cosine), 1e-12);
        Assert.AreEqual(1.0, LearningRates.At(9, total, warmup, 1.0, CspLearningRateSchedule.Cosine), 1e-12);
        Assert.AreEqual(1.0, LearningRates.At(10, total, warmup, 1.0, CspLearningRateSchedule.Cosine), 1e-12, "Decay starts at the peak.");
        Assert.AreEqual(0.5, LearningRates.At(60, total, warmup, 1.0, CspLearningRateSchedule.Cosine), 1e-12, "Half way down the cosine.");
        Assert.AreEqual(0.5 * (1 + Math.Cos(Math.PI * 0.25)), LearningRates.At(35, total, warmup, 1.0, CspLearningRateSchedule.Cosine), 1e-12);
        Assert.AreEqual(0.0, LearningRates.At(110, total, warmup, 1.0, CspLearningRateSchedule.Cosine), 1e-12);
        Assert.AreEqual(0.0, LearningRates.At(500, total, warmup, 1.0, CspLearningRateSchedule.Cosine), 1e-12, "Past the end it stays at zero.");
    }

    [TestMethod]
    public void ConstantAfterWarmupAndNoWarmup()
    {
        Assert.AreEqual(0.25, LearningRates.At(0, 100, 4, 1.0, CspLearningRateSchedule.Constant), 1e-12);
        Assert.AreEqual(2e-3, LearningRates.At(50, 100, 4, 2e-3, CspLearningRateSchedule.Constant), 1e-15);
        Assert.AreEqual(2e-3, LearningRates.At(0, 100, 0, 2e-3, CspLearningRateSchedule.Cosine), 1e-15, "Without warm-up the first step is at the peak.");
    }
}
