using MLNet.CSP.Models;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Models;

/// <summary>The trunk as a neck, a classifier head or an exporter takes it: feature information and multi-scale maps.</summary>
[TestClass]
public sealed class TrunkTests
{
    public static IEnumerable<object[]> AllNames => Backbones.Names.Select(n => new object[] { n });

    /// <summary>timm 1.0.29's <c>create_model(name, features_only=True).feature_info</c>: module, channels, reduction.</summary>
    private static readonly Dictionary<string, (string Module, int Channels, int Reduction)[]> TimmFeatureInfo = new()
    {
        ["cspresnet50"] = [("stem.conv1", 64, 2), ("stages.0", 128, 4), ("stages.1", 256, 8), ("stages.2", 512, 16), ("stages.3", 1024, 32)],
        ["cspresnext50"] = [("stem.conv1", 64, 2), ("stages.0", 256, 4), ("stages.1", 512, 8), ("stages.2", 1024, 16), ("stages.3", 2048, 32)],
        ["cspdarknet53"] = [("stem.conv1", 32, 1), ("stages.0", 64, 2), ("stages.1", 128, 4), ("stages.2", 256, 8), ("stages.3", 512, 16), ("stages.4", 1024, 32)],
        ["darknet53"] = [("stem.conv1", 32, 1), ("stages.0", 64, 2), ("stages.1", 128, 4), ("stages.2", 256, 8), ("stages.3", 512, 16), ("stages.4", 1024, 32)],
        ["cs3darknet_s"] = [("stem.conv2", 32, 2), ("stages.0", 64, 4), ("stages.1", 128, 8), ("stages.2", 256, 16), ("stages.3", 512, 32)],
        ["cs3darknet_m"] = [("stem.conv2", 48, 2), ("stages.0", 96, 4), ("stages.1", 192, 8), ("stages.2", 384, 16), ("stages.3", 768, 32)],
        ["cs3darknet_l"] = [("stem.conv2", 64, 2), ("stages.0", 128, 4), ("stages.1", 256, 8), ("stages.2", 512, 16), ("stages.3", 1024, 32)],
        ["resnet50"] = [("act1", 64, 2), ("layer1", 256, 4), ("layer2", 512, 8), ("layer3", 1024, 16), ("layer4", 2048, 32)],
        ["resnext50_32x4d"] = [("act1", 64, 2), ("layer1", 256, 4), ("layer2", 512, 8), ("layer3", 1024, 16), ("layer4", 2048, 32)],
        ["densenet121"] = [("features.norm0", 64, 2), ("features.denseblock1", 256, 4), ("features.denseblock2", 512, 8), ("features.denseblock3", 1024, 16), ("features.norm5", 1024, 32)],
        ["densenet169"] = [("features.norm0", 64, 2), ("features.denseblock1", 256, 4), ("features.denseblock2", 512, 8), ("features.denseblock3", 1280, 16), ("features.norm5", 1664, 32)],
        ["densenet201"] = [("features.norm0", 64, 2), ("features.denseblock1", 256, 4), ("features.denseblock2", 512, 8), ("features.denseblock3", 1792, 16), ("features.norm5", 1920, 32)],
    };

    public static IEnumerable<object[]> TimmNames => TimmFeatureInfo.Keys.Select(n => new object[] { n });

    [TestMethod]
    [DynamicData(nameof(TimmNames))]
    public void FeatureInfoIsTimms(string name)
    {
        using var model = Backbones.Create(name, numClasses: 0);
        CollectionAssert.AreEqual(TimmFeatureInfo[name].Select(t => new FeatureInfo(t.Module, t.Channels, t.Reduction)).ToList(), model.FeatureInfo.ToList(),
            $"{name}: {string.Join(", ", model.FeatureInfo)}");
    }

    [TestMethod]
    [DynamicData(nameof(AllNames))]
    public void FeatureMapsFollowTheFeatureInfoOnThePlainAndTheFastPath(string name)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        using var model = Backbones.Create(name, numClasses: 0);
        ModelRandomisation.RandomiseBatchNorms(model);
        var info = model.FeatureInfo;
        var reductions = info.Select(i => i.Reduction).ToList();
        CollectionAssert.AreEqual(reductions.OrderBy(r => r).Distinct().ToList(), reductions, "One level per stride, increasing.");
        Assert.AreEqual(32, reductions[^1]);
        Assert.IsLessThanOrEqualTo(2, reductions[0], "The stem's level (stride 1 or 2) comes first, as in timm.");
        Assert.AreEqual(model.NumFeatures, info[^1].Channels);
        Assert.IsTrue(reductions.All(r => (r & (r - 1)) == 0), "Strides are powers of two.");

        var x = torch.randn(2, 3, 64, 96);
        model.eval();
        using var noGrad = torch.no_grad();
        var plain = model.ForwardFeatureMaps(x);
        Assert.HasCount(info.Count, plain);
        foreach (var (map, level) in plain.Zip(info))
            CollectionAssert.AreEqual(new long[] { 2, level.Channels, 64 / level.Reduction, 96 / level.Reduction }, map.shape, level.Module);
        Assert.IsTrue(plain[^1].allclose(model.ForwardFeatures(x), rtol: 1e-5, atol: 1e-6), "The last level is the final feature map.");

        model.OptimizeForInference();
        var fast = model.ForwardFeatureMaps(x);
        foreach (var ((p, f), level) in plain.Zip(fast).Zip(info))
        {
            double error = Compare.TensorRelativeL2(f, p);
            Assert.IsLessThan(1e-4, error, $"{name} {level.Module}: fast path against plain path {error:E2}.");
        }
    }

    [TestMethod]
    public void ASecondHeadTrainsOnTheSameTrunkAsTheClassifier()
    {
        // A per-level 1x1 head over the last three pyramid levels (as a detection neck takes them) beside the classifier.
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(4);
        using var model = Backbones.Create("cs3darknet_s", numClasses: 3);
        var levels = model.FeatureInfo.TakeLast(3).ToList();
        var heads = levels.Select(l => nn.Conv2d(l.Channels, 4, 1)).ToList();
        model.train();
        var maps = model.ForwardFeatureMaps(torch.randn(2, 3, 64, 64)).TakeLast(3).ToList();
        var dense = heads.Zip(maps).Select(h => h.First.call(h.Second).square().mean()).Aggregate((a, b) => a + b);
        var logits = model.ForwardHead(maps[^1]);
        (dense + logits.square().mean()).backward();
        Assert.IsTrue(heads.All(h => h.weight!.grad is not null && h.weight.grad.abs().sum().item<float>() > 0), "Every level's head learns.");
        var stem = model.named_parameters().First(p => p.name == "stem.conv1.conv.weight").parameter;
        Assert.IsGreaterThan(0f, stem.grad!.abs().sum().item<float>(), "The trunk receives gradients through the maps.");
        Assert.IsGreaterThan(0f, model.named_parameters().Single(p => p.name == "head.fc.weight").parameter.grad!.abs().sum().item<float>());
    }

    [TestMethod]
    public void TrainingModeDropsTheFastPathAndEvalDoesNotRestoreIt()
    {
        using var model = Backbones.Create("cspresnet50", numClasses: 2);
        model.OptimizeForInference();
        Assert.IsTrue(model.IsOptimizedForInference);
        model.eval();
        Assert.IsTrue(model.IsOptimizedForInference, "eval() keeps the fast path.");
        model.train();
        Assert.IsFalse(model.IsOptimizedForInference, "train() drops it (one place, for every layer).");
        model.eval();
        Assert.IsFalse(model.IsOptimizedForInference);
    }
}
