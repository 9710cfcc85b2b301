using MLNet.CSP.Models.CspNets;
using MLNet.CSP.Models.Layers;
using MLNet.CSP.Models;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace MLNet.CSP.Tests.Models;

/// <summary>Variants are data: width/depth multipliers and pretrained configs.</summary>
[TestClass]
public sealed class VariantConfigTests
{
    [TestMethod]
    public void MakeDivisibleFollowsTimm()
    {
        // timm make_divisible(v, 8): round to nearest multiple of 8, at least 8, never below 90% of v.
        Assert.AreEqual(24, ChannelMath.MakeDivisible(32 * 0.75));
        Assert.AreEqual(8, ChannelMath.MakeDivisible(3));
        Assert.AreEqual(16, ChannelMath.MakeDivisible(12));
        Assert.AreEqual(96, ChannelMath.MakeDivisible(99));
        Assert.AreEqual(104, ChannelMath.MakeDivisible(101));
        Assert.AreEqual(16, ChannelMath.MakeDivisible(11), "Rounding down to 8 would lose more than 10%.");
        Assert.AreEqual(2, ChannelMath.ScaleDepth(3, 0.67));
        Assert.AreEqual(1, ChannelMath.ScaleDepth(1, 0.25));
    }

    [TestMethod]
    public void ScaledVariantIsOneConfigEntry()
    {
        var config = (CspNetConfig)Backbones.GetConfig("cspdarknet53");
        var tiny = config.Scale(width: 0.25, depth: 0.34);
        CollectionAssert.AreEqual(new[] { 8 }, tiny.Stem.OutChannels.ToArray());
        CollectionAssert.AreEqual(new[] { 16, 32, 64, 128, 256 }, tiny.Stages.Select(s => s.OutChannels).ToArray());
        CollectionAssert.AreEqual(new[] { 1, 1, 2, 2, 1 }, tiny.Stages.Select(s => s.Depth).ToArray());

        using var model = tiny.Build("cspdarknet53_tiny", 10);
        Assert.AreEqual(256, model.NumFeatures);
        var complexity = ModelComplexity.Measure(model, 64, 64);
        var full = Backbones.Describe("cspdarknet53", 64, 64);
        Assert.IsLessThan(full.Macs / 10, complexity.Macs, "A quarter-width net costs a small fraction of the MACs.");
        using var x = torch.randn(1, 3, 64, 64);
        CollectionAssert.AreEqual(new long[] { 1, 10 }, model.forward(x).shape);
    }

    [TestMethod]
    public void MacsScaleWithInputArea()
    {
        var at224 = Backbones.Describe("cs3darknet_s", 224, 224);
        var at448 = Backbones.Describe("cs3darknet_s", 448, 448);
        Assert.AreEqual(at224.ConvMacs * 4, at448.ConvMacs, "Convolution MACs are proportional to the area for multiples of 32.");
        Assert.AreEqual(at224.LinearMacs, at448.LinearMacs);
    }

    [TestMethod]
    public void MacsAreCountedTheSameOnTheInferenceFastPath()
    {
        using var model = Backbones.Create("cs3darknet_s");
        var plain = ModelComplexity.Measure(model, 64, 64);
        model.OptimizeForInference();
        var optimized = ModelComplexity.Measure(model, 64, 64);
        Assert.AreEqual(plain, optimized);
        Assert.IsTrue(model.IsOptimizedForInference, "Measuring leaves the model on its fast path.");
    }

    [TestMethod]
    public void PretrainedConfigsFollowTheReferences()
    {
        var darknet = Backbones.GetConfig("darknet53").Pretrained;
        Assert.AreEqual(256, darknet.InputSize);
        Assert.AreEqual(0.887, darknet.CropFraction);
        Assert.AreEqual(Interpolation.Bicubic, darknet.Interpolation);
        Assert.AreEqual(288, darknet.ResizeSize);
        Assert.AreEqual(Interpolation.Bilinear, Backbones.GetConfig("cspresnet50").Pretrained.Interpolation);
        var resnet = Backbones.GetConfig("resnet50").Pretrained;
        Assert.AreEqual(224, resnet.InputSize);
        Assert.AreEqual(256, resnet.ResizeSize);
        CollectionAssert.AreEqual(new[] { 0.485f, 0.456f, 0.406f }, resnet.Mean.ToArray());
    }
}
