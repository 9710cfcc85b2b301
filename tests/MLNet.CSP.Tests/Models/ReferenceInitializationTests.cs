using MLNet.CSP.Models;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Models;

/// <summary>
/// A randomly initialised network has the feature scale of its reference's own initialisation: pooled pre-logits RMS on golden
/// input A, eval mode, geometric mean over three seeds, within 3x of the reference's (timm <c>_init_weights</c> with
/// <c>zero_init_last</c>, torchvision's ResNet/DenseNet init; PyTorch 1.13, seeds 1-3, from shared/ANCHORS.md).
/// </summary>
[TestClass]
public sealed class ReferenceInitializationTests
{
    private static readonly Dictionary<string, double[]> ReferenceRms = new()
    {
        ["cspresnet50"] = [0.124, 0.134, 0.135],
        ["cspresnext50"] = [0.000456, 0.000392, 0.000613],
        ["cspdarknet53"] = [0.0229, 0.018, 0.039],
        ["darknet53"] = [0.0221, 0.0271, 0.0265],
        ["cs3darknet_s"] = [7.87e-05, 9.56e-05, 9.36e-05],
        ["cs3darknet_m"] = [6.09e-05, 5.81e-05, 4.75e-05],
        ["cs3darknet_l"] = [4.62e-05, 4.62e-05, 4.86e-05],
        ["resnet50"] = [18.8, 23.7, 14.8],
        ["resnext50_32x4d"] = [0.0541, 0.0633, 0.0623],
        ["densenet121"] = [1.04, 0.812, 0.922],
    };

    public TestContext TestContext { get; set; } = null!;

    public static IEnumerable<object[]> Names => ReferenceRms.Keys.Select(n => new object[] { n });

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void RandomInitFeatureScaleMatchesTheReference(string name)
    {
        using var input = GoldenFill.Input("input:A", 2, 3, 224, 224);
        var rms = new List<double>();
        foreach (int seed in new[] { 1, 2, 3 })
        {
            using var scope = torch.NewDisposeScope();
            torch.manual_seed(seed);
            using var model = Backbones.Create(name);
            model.OptimizeForInference();
            using var noGrad = torch.no_grad();
            var pooled = model.ForwardHead(model.ForwardFeatures(input), preLogits: true);
            rms.Add(pooled.square().mean().sqrt().item<float>());
        }
        double ours = GeometricMean(rms), reference = GeometricMean(ReferenceRms[name]);
        TestContext.WriteLine($"{name}: ours {string.Join(", ", rms.Select(r => r.ToString("G3")))} (geometric mean {ours:G3}), reference {reference:G3}");
        Assert.IsTrue(ours > reference / 3 && ours < reference * 3,
            $"{name}: random-init pooled RMS {ours:G3} against the reference's {reference:G3} (seeds {string.Join(", ", rms.Select(r => r.ToString("G3")))}).");
    }

    [TestMethod]
    public void TheSameSeedGivesTheSameNetwork()
    {
        torch.manual_seed(9);
        using var a = Backbones.Create("cs3darknet_s", numClasses: 3);
        torch.manual_seed(9);
        using var b = Backbones.Create("cs3darknet_s", numClasses: 3);
        foreach (var (x, y) in a.StateDict().Zip(b.StateDict()))
            Assert.IsTrue(x.Value.allclose(y.Value, 0, 0), x.Key);
    }

    [TestMethod]
    public void TimmZeroInitLastStartsResidualBlocksAsTheIdentity()
    {
        using var model = Backbones.Create("cspdarknet53");
        var keys = model.StateDict().ToDictionary(e => e.Key, e => e.Value);
        Assert.AreEqual(0.0, keys["stages.1.blocks.0.conv2.bn.weight"].abs().max().item<float>(), "DarkBlock: last norm at zero.");
        Assert.AreEqual(1.0, keys["stages.1.blocks.0.conv1.bn.weight"].min().item<float>(), "Other norms at one.");
        using var resnext = Backbones.Create("cspresnext50");
        Assert.AreEqual(0.0, resnext.StateDict().Single(e => e.Key == "stages.0.blocks.0.conv3.bn.weight").Value.abs().max().item<float>(), "BottleneckBlock: last norm at zero.");
        var fc = model.StateDict().Single(e => e.Key == "head.fc.weight").Value;
        Assert.AreEqual(0.01, fc.std().item<float>(), 0.001, "timm's classifier: normal(0, 0.01).");
        var conv = keys["stages.1.conv_down.conv.weight"]; // fan-out = 128 x 3 x 3 -> std sqrt(2 / 1152)
        Assert.AreEqual(Math.Sqrt(2.0 / (conv.shape[0] * 9)), conv.std().item<float>(), 0.05 * Math.Sqrt(2.0 / (conv.shape[0] * 9)), "kaiming-normal, fan-out, ReLU gain.");
    }

    private static double GeometricMean(IEnumerable<double> values) => Math.Exp(values.Average(Math.Log));
}
