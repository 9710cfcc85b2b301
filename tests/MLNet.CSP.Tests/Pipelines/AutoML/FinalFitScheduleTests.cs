using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Pipelines.AutoML;

namespace MLNet.CSP.Tests.Pipelines.AutoML;

/// <summary>The final fit's plan after each epoch, from given epoch times and a given time left (no training).</summary>
[TestClass]
public sealed class FinalFitScheduleTests
{
    private double left;

    private FinalFitSchedule Create(double secondsLeft, int maxEpochs = int.MaxValue)
    {
        left = secondsLeft;
        return new FinalFitSchedule(() => left, maxEpochs);
    }

    [TestMethod]
    public void ASlowFirstEpochDoesNotShortenAndTheSecondReplacesItsTime()
    {
        var schedule = Create(100);
        Assert.IsNull(schedule.AfterEpoch(1, planned: 10, seconds: 30), "At 30 s an epoch, 4 more fit; but the first epoch warms up.");
        left = 93;
        // Priced at 8 s now: 2 + floor(93 / 9.2) = 12 epochs fit with the 15% margin, at least a tenth more than 10.
        Assert.AreEqual(12, schedule.AfterEpoch(2, planned: 10, seconds: 8));
    }

    [TestMethod]
    public void ASchedulePastTheTimeLeftIsShortenedAndNeverLengthenedAgain()
    {
        var schedule = Create(105);
        Assert.IsNull(schedule.AfterEpoch(1, planned: 10, seconds: 10), "10 epochs fit, not 11 with the 15% margin.");
        left = 50;
        Assert.AreEqual(6, schedule.AfterEpoch(2, planned: 10, seconds: 10), "2 + floor(50 / 10.5).");
        left = 100;
        Assert.IsNull(schedule.AfterEpoch(3, planned: 6, seconds: 1), "Faster now (18 would fit), but a shortened plan is kept (no flip-flop).");
    }

    [TestMethod]
    public void APlanIsShortenedToNoLessThanTheEpochsRun()
    {
        var schedule = Create(100);
        schedule.AfterEpoch(1, planned: 10, seconds: 10);
        left = -5; // past the deadline already
        Assert.AreEqual(2, schedule.AfterEpoch(2, planned: 10, seconds: 10));
    }

    [TestMethod]
    [DataRow(5, 11, DisplayName = "epoch 5 of 10: lengthened")]
    [DataRow(6, null, DisplayName = "epoch 6 of 10: past half, kept")]
    public void APlanIsLengthenedOnlyWhileAtMostHalfOfItHasRun(int epoch, int? expected)
    {
        var schedule = Create(0);
        for (int e = 1; e < epoch; e++)
        {
            left = (10 - e) * 110; // 100-s epochs with 10% to spare: inside both margins (5% to shorten, 15% to lengthen)
            Assert.IsNull(schedule.AfterEpoch(e, planned: 10, seconds: 100), $"Epoch {e}: the plan fits.");
        }
        left = (10 - epoch) * 110;
        // Then an epoch of 1 s: the mean of the timed ones drops (75 s after epoch 5), and the time left holds an epoch more.
        Assert.AreEqual(expected, schedule.AfterEpoch(epoch, planned: 10, seconds: 1));
    }

    [TestMethod]
    [DataRow(36.0, null, DisplayName = "2 more epochs of 30: under a tenth, kept")]
    [DataRow(37.0, 33, DisplayName = "3 more epochs of 30: lengthened")]
    public void APlanIsLengthenedByAtLeastATenth(double secondsLeft, int? expected)
    {
        // 1-s epochs with the 15% margin: 1 + floor(36 / 1.15) = 32 epochs, 1 + floor(37 / 1.15) = 33.
        Assert.AreEqual(expected, Create(secondsLeft).AfterEpoch(1, planned: 30, seconds: 1));
    }

    [TestMethod]
    public void MaxEpochsCapsTheLengthening()
    {
        var schedule = Create(1000, maxEpochs: 12);
        Assert.AreEqual(12, schedule.AfterEpoch(1, planned: 4, seconds: 1));
        Assert.IsNull(Create(1000, maxEpochs: 12).AfterEpoch(1, planned: 12, seconds: 1), "At the cap already.");
    }
}
