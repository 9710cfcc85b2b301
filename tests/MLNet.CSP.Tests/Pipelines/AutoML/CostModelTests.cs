using MLNet.CSP.Pipelines.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Pipelines.AutoML;
using MLNet.CSP.Pipelines.Classification;

namespace MLNet.CSP.Tests.Pipelines.AutoML;

/// <summary>
/// The search's cost estimates from what trials measured, with the sizes of full Fashion-MNIST (48,000 training and 12,000
/// validation images) and the times measured there on a 2-core machine: a 1-epoch rung of 138 s whose epoch took 55 s.
/// </summary>
[TestClass]
public sealed class CostModelTests
{
    private static readonly (string, int) Small = ("cs3darknet_s", 32), Larger = ("cs3darknet_s", 64);

    [TestMethod]
    public void ARungsEpochsArePricedApartFromItsFixedPart()
    {
        var costs = new CostModel(48_000, 12_000);
        costs.RecordRung(Small, frozen: false, seconds: 138, epochSeconds: [55]);

        var (perEpoch, perTrial) = costs.Rung(Small, frozen: false) ?? throw new AssertFailedException("Measured, so estimated.");
        Assert.AreEqual(55, perEpoch, 1e-9);
        Assert.AreEqual(83, perTrial, 1e-9, "Reading the images and validating: paid once per trial-rung, not per epoch.");
        // A 10-epoch trial: 633 s, which fits what a 15-minute search has left after its first trials (charging the fixed
        // part to every epoch priced it at 1,380 s, and random search ran no full-length trial).
        Assert.AreEqual(633, perTrial + 10 * perEpoch, 1e-9);
    }

    [TestMethod]
    public void RungsOfOneCombinationArePricedByTheirSlowestEpochAndSlowestFixedPart()
    {
        var costs = new CostModel(48_000, 12_000);
        costs.RecordRung(Small, frozen: false, seconds: 100, epochSeconds: [31, 29]); // 30 s epochs, 40 s fixed
        costs.RecordRung(Small, frozen: false, seconds: 60, epochSeconds: [40]);      // 40 s epoch (augmented), 20 s fixed

        Assert.AreEqual((40.0, 40.0), costs.Rung(Small, frozen: false));
    }

    [TestMethod]
    public void FrozenAndTrainedBackbonesAreMeasuredApartAndARungWithoutTimedEpochsTeachesNothing()
    {
        var costs = new CostModel(48_000, 12_000);
        costs.RecordRung(Small, frozen: true, seconds: 50, epochSeconds: [20]);
        costs.RecordRung(Small, frozen: false, seconds: 10, epochSeconds: []);

        Assert.IsTrue(costs.RungMeasured(Small, frozen: true));
        Assert.IsFalse(costs.RungMeasured(Small, frozen: false), "A frozen rung says nothing about training the backbone; no epochs, no measurement.");
        Assert.IsNull(costs.Rung(Small, frozen: false), "No forward pass timed either: nothing to estimate from.");
    }

    [TestMethod]
    public void AnUntrainedCombinationIsPricedFromATrainedOneByMultiplyAccumulatesPlusItsValidationPass()
    {
        var costs = new CostModel(48_000, 12_000);
        costs.RecordForward(Small, seconds: 60, images: 60_000); // 1 ms per image, decoding included
        costs.RecordRung(Small, frozen: false, seconds: 138, epochSeconds: [55]);
        double r = costs.Macs(Larger) / costs.Macs(Small);
        Assert.IsGreaterThan(3.0, r, "Twice the side, about four times the work.");

        // Its forward pass not timed (scaled by MACs from the small one): r times the small one's epoch; the small one's
        // fixed 83 s plus its own validation pass (12,000 images at r ms).
        var (perEpoch, perTrial) = costs.Rung(Larger, frozen: false) ?? throw new AssertFailedException("Scaled from the trained combination.");
        Assert.AreEqual(55 * r, perEpoch, 1e-6);
        Assert.AreEqual(83 + 12 * r, perTrial, 1e-6);
        Assert.IsFalse(costs.RungMeasured(Larger, frozen: false));

        // Featurizing timed it at 1.5 ms: decoding dominated both forward passes, so their ratio (1.5) understates the work;
        // the epoch is still priced by MACs. A forward pass ten times slower (memory-bound layers) says more than MACs: 10x.
        costs.RecordForward(Larger, seconds: 90, images: 60_000);
        Assert.AreEqual(55 * r, costs.Rung(Larger, frozen: false)!.Value.PerEpoch, 1e-6);
        costs.RecordForward(Larger, seconds: 600, images: 60_000);
        Assert.AreEqual(550, costs.Rung(Larger, frozen: false)!.Value.PerEpoch, 1e-6);
    }

    [TestMethod]
    public void AConfigurationIsPricedFromItsOwnRungsTheirEpochsPooled()
    {
        var costs = new CostModel(48_000, 12_000);
        costs.RecordRung(Small, frozen: false, seconds: 100, epochSeconds: [31, 29]);                                      // 40 s fixed
        costs.RecordRung(Small, frozen: false, seconds: 40, epochSeconds: [24]);                                           // 16 s fixed
        costs.RecordRung(Small, frozen: false, seconds: 60, epochSeconds: [45], augmentation: CspAugmentation.RandomShift); // 15 s fixed

        Assert.AreEqual((45.0, 40.0), costs.Rung(Small, frozen: false), "Planning a bracket: the combination's slowest epoch and fixed part.");
        var (perEpoch, perTrial) = costs.OwnRung(Small, frozen: false, CspAugmentation.None) ?? throw new AssertFailedException("Its own rungs were timed.");
        Assert.AreEqual(84.0 / 3, perEpoch, 1e-9, "The mean over its three epochs, not the mean of the rungs' means (27.5).");
        Assert.AreEqual(40, perTrial, 1e-9, "Its slowest fixed part.");
        Assert.AreEqual((45.0, 15.0), costs.OwnRung(Small, frozen: false, CspAugmentation.RandomShift));
        Assert.IsNull(costs.OwnRung(Small, frozen: false, CspAugmentation.HorizontalFlip), "No rung with this augmentation.");
        Assert.IsNull(costs.OwnRung(Small, frozen: true, CspAugmentation.None), "Frozen is priced apart.");
        Assert.IsNull(costs.OwnRung(Larger, frozen: false, CspAugmentation.None), "Another size is not its own.");
    }

    [TestMethod]
    public void BeforeAnyTrainedRungAnEpochIsPricedAtThreeForwardPassesOfEveryTrainingImage()
    {
        var costs = new CostModel(48_000, 12_000);
        Assert.IsNull(costs.Rung(Small, frozen: false), "Nothing measured, nothing to estimate from.");
        costs.RecordForward(Small, seconds: 60, images: 60_000);

        Assert.AreEqual((144.0, 12.0), costs.Rung(Small, frozen: false), "3 x 1 ms x 48,000 per epoch; 1 ms x 12,000 to validate.");
    }
}
