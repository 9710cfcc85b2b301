using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Featurizer;
using MLNet.CSP.Pipelines;
using Microsoft.ML;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>The shared network options are validated once, the same way for the featurizer and the trainer.</summary>
[TestClass]
public sealed class OptionsValidationTests
{
    public static IEnumerable<object[]> BadSettings =>
    [
        ["Mean", (Action<CspNetworkOptions>)(o => o.Mean = [float.NaN, 0.4f, 0.4f])],
        ["Mean", (Action<CspNetworkOptions>)(o => o.Mean = [0.4f, 0.4f])],
        ["Std", (Action<CspNetworkOptions>)(o => o.Std = [0.2f, 0f, 0.2f])],
        ["Std", (Action<CspNetworkOptions>)(o => o.Std = [0.2f, float.PositiveInfinity, 0.2f])],
        ["ImageSize", (Action<CspNetworkOptions>)(o => o.ImageSize = 10000)],
        ["ImageSize", (Action<CspNetworkOptions>)(o => o.ImageSize = 4)],
        ["CropFraction", (Action<CspNetworkOptions>)(o => o.CropFraction = double.NaN)],
        ["CropFraction", (Action<CspNetworkOptions>)(o => o.CropFraction = 1.5)],
        ["TorchThreads", (Action<CspNetworkOptions>)(o => o.TorchThreads = 0)],
        ["Interpolation", (Action<CspNetworkOptions>)(o => o.Interpolation = (MLNet.CSP.Models.Interpolation)42)],
    ];

    [TestMethod]
    [DynamicData(nameof(BadSettings))]
    public void BothComponentsRejectTheSameBadSettingNamingIt(string option, Action<CspNetworkOptions> spoil)
    {
        var ml = new MLContext(seed: 1);
        var featurizer = new CspFeaturizerOptions { OutputColumnName = "Features", InputColumnName = "Image", Architecture = "cs3darknet_s" };
        spoil(featurizer);
        var e1 = Assert.Throws<ArgumentException>(() => ml.Transforms.CspFeaturize(featurizer));
        Assert.AreEqual(option, e1.ParamName);
        StringAssert.Contains(e1.Message, option);

        var trainer = new CspImageClassificationTrainer.Options();
        spoil(trainer);
        var e2 = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.Trainers.CspImageClassification(trainer));
        Assert.AreEqual(option, e2.ParamName);
    }

    [TestMethod]
    public void TheImageSizeLimitIsStatedInTheMessage()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new MLContext().Transforms.CspFeaturize(new CspFeaturizerOptions { ImageSize = 10000 }));
        StringAssert.Contains(e.Message, $"between {CspDefaults.MinImageSize} and {CspDefaults.MaxImageSize}");
    }

    [TestMethod]
    public void DefaultsComeFromOnePlace()
    {
        var trainer = new CspImageClassificationTrainer.Options();
        Assert.AreEqual(CspDefaults.ClassifierArchitecture, trainer.Architecture);
        Assert.AreEqual(CspDefaults.Augmentation, trainer.Augmentation);
        Assert.AreEqual(CspDefaults.TrainingBatchSize, trainer.BatchSize);
        Assert.AreEqual(CspDefaults.InferenceBatchSize, trainer.InferenceBatchSize);
        var featurizer = new CspFeaturizerOptions();
        Assert.AreEqual(CspDefaults.FeaturizerArchitecture, featurizer.Architecture);
        Assert.AreEqual(CspDefaults.InferenceBatchSize, featurizer.BatchSize);
        Assert.IsNull(trainer.Interpolation, "The trainer has the featurizer's interpolation option too.");
    }
}
