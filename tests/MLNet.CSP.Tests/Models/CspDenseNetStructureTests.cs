using MLNet.CSP.Models.DenseNets;
using MLNet.CSP.Models;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Models;

/// <summary>CSPDenseNet's construction: split, which part the dense layers see, what is concatenated, widths and cost.</summary>
[TestClass]
public sealed class CspDenseNetStructureTests
{
    public static IEnumerable<object[]> DenseFamily =>
        Backbones.Names.Where(n => Backbones.GetConfig(n) is DenseNetConfig or CspDenseNetConfig).Select(n => new object[] { n });

    [TestMethod]
    [DynamicData(nameof(DenseFamily))]
    public void ParametersAndMacsMatchAnIndependentCount(string name)
    {
        var (dense, csp) = Backbones.GetConfig(name) switch
        {
            CspDenseNetConfig c => (c.Dense, c),
            DenseNetConfig d => (d, (CspDenseNetConfig?)null),
            var other => throw new AssertFailedException($"Not a DenseNet: {other}"),
        };
        foreach (var (height, width) in new[] { (224, 224), (96, 160) })
        {
            var expected = DenseNetCounts.Count(dense, csp, height, width, 1000);
            var measured = Backbones.Describe(name, height, width);
            Assert.AreEqual(expected.Parameters, measured.Parameters, $"Parameters of {name}.");
            Assert.AreEqual(expected.Macs, measured.Macs, $"MACs of {name} at {height}x{width}.");
        }
    }

    [TestMethod]
    [DataRow("cspdensenet121", 8_673_064L, 2_705_711_104L)]
    [DataRow("cspdensenet201", 23_589_544L, 4_305_214_464L)]
    [DataRow("cspdensenet121_s", 883_795L, -1L)]
    public void TotalsMatchHandCounts(string name, long parameters, long macs)
    {
        // Worked out by hand from the channel table in docs/paper-reproduction.md (1000 classes, 224x224).
        var measured = Backbones.Describe(name);
        Assert.AreEqual(parameters, measured.Parameters);
        if (macs >= 0) Assert.AreEqual(macs, measured.Macs);
    }

    [TestMethod]
    public void Cspdensenet121SplitsEveryStageInHalfAndKeepsDenseNetsWidths()
    {
        using var model = Backbones.Create("cspdensenet121");
        var stages = Stages(model);
        var rows = stages.Select(s => new[] { s.SkipChannels, s.DenseChannels, s.BlockOutChannels, s.PartialTransitionChannels, s.OutChannels }).ToList();
        // skip x0', dense x0'', dense block output (x0'' + layers x 32), partial transition, stage output.
        CollectionAssert.AreEqual(new[] { 32, 32, 224, 96, 128 }, rows[0]);
        CollectionAssert.AreEqual(new[] { 64, 64, 448, 192, 256 }, rows[1]);
        CollectionAssert.AreEqual(new[] { 128, 128, 896, 384, 512 }, rows[2]);
        CollectionAssert.AreEqual(new[] { 256, 256, 768, 768, 1024 }, rows[3]);
        Assert.AreEqual(1024, model.NumFeatures);

        using var scope = torch.NewDisposeScope();
        using var plain = Backbones.Create("densenet121");
        var x = torch.randn(1, 3, 64, 96);
        var ours = model.ForwardStages(x);
        var theirs = plain.ForwardStages(x);
        CollectionAssert.AreEqual(
            new[] { "features.pool0", "features.stage1", "features.stage2", "features.stage3", "features.stage4", "features.norm5" },
            ours.Select(s => s.Name).ToArray());
        var plainStageEnds = theirs.Where(s => s.Name is "features.pool0" or "features.norm5" || s.Name.Contains("transition") || s.Name.EndsWith("denseblock4")).ToList();
        CollectionAssert.AreEqual(plainStageEnds.Select(s => s.Output.shape).ToList(), ours.Select(s => s.Output.shape).ToList(), new ShapeComparer(),
            "Every stage output has the plain DenseNet's shape.");
    }

    [TestMethod]
    [DataRow("cspdensenet121", true, true)]
    [DataRow("cspdensenet121_fusionfirst", false, true)]
    [DataRow("cspdensenet121_fusionlast", true, false)]
    public void EachFusionHasItsTransitions(string name, bool partialTransition, bool fusionTransition)
    {
        using var model = Backbones.Create(name);
        var keys = model.StateDict().ToDictionary(e => e.Key, e => e.Value.shape);
        for (int i = 1; i <= 4; i++)
        {
            Assert.AreEqual(partialTransition, keys.ContainsKey($"features.stage{i}.partial_transition.conv.weight"), $"Partial transition of stage {i}.");
            Assert.AreEqual(fusionTransition, keys.ContainsKey($"features.stage{i}.transition.conv.weight"), $"Fusion transition of stage {i}.");
        }
        CollectionAssert.AreEqual(new long[] { 32 }, keys["features.stage1.dense.denselayer1.norm1.weight"], "The first dense layer sees only x0''.");
        if (!partialTransition)
            CollectionAssert.AreEqual(new long[] { 128, 256, 1, 1 }, keys["features.stage1.transition.conv.weight"], "Fusion first: one transition over [x0', dense output] = DenseNet's 256 channels.");
        Assert.AreEqual("features.conv0.weight", model.StateDict()[0].Key);
        Assert.AreEqual("features.norm5.num_batches_tracked", model.StateDict()[^3].Key);
    }

    [TestMethod]
    public void GammaSetsTheShareThatGoesThroughTheBlock()
    {
        using var model = Backbones.Create("cspdensenet121_gamma25");
        var stages = Stages(model);
        CollectionAssert.AreEqual(new[] { 16, 32, 64, 128 }, stages.Select(s => s.DenseChannels).ToArray());
        CollectionAssert.AreEqual(new[] { 48, 96, 192, 384 }, stages.Select(s => s.SkipChannels).ToArray());
        CollectionAssert.AreEqual(new[] { 128, 256, 512, 1024 }, stages.Select(s => s.OutChannels).ToArray());
        Assert.IsLessThan(Backbones.Describe("cspdensenet121").Macs, Backbones.Describe("cspdensenet121_gamma25").Macs, "A smaller gamma costs fewer MACs.");
    }

    [TestMethod]
    [DataRow(CspFusion.Csp)]
    [DataRow(CspFusion.FusionFirst)]
    [DataRow(CspFusion.FusionLast)]
    public void DenseLayersSeeOnlyTheirPartAndTheSkipPartIsConcatenatedFirst(CspFusion fusion)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        using var stage = new PartialDenseStage(16, 24, numLayers: 3, growthRate: 4, bnSize: 2, fusion, gamma: 0.5, downsample: false);
        stage.eval();
        using var noGrad = torch.no_grad();
        var blockOutputs = Capture(stage, "dense", input: false);
        var transitionInputs = fusion == CspFusion.FusionLast ? null : Capture(stage, "transition", input: true);
        var partialOutputs = fusion == CspFusion.FusionFirst ? null : Capture(stage, "partial_transition", input: false);

        var x = torch.randn(2, 16, 6, 6);
        var y = stage.call(x);
        var changedSkip = x.clone();
        changedSkip.narrow(1, 0, 8).copy_(torch.randn(2, 8, 6, 6));
        var y2 = stage.call(changedSkip);

        Assert.AreEqual(2, blockOutputs.Count);
        Assert.IsTrue(blockOutputs[0].equal(blockOutputs[1]).all().item<bool>(), "Changing x0' leaves the dense block's output unchanged.");
        Assert.IsTrue(blockOutputs[0].narrow(1, 0, 8).equal(x.narrow(1, 8, 8)).all().item<bool>(), "The dense block carries x0'' (the last 8 channels) forward.");
        switch (fusion)
        {
            case CspFusion.FusionLast:
                Assert.IsTrue(y.narrow(1, 0, 8).equal(x.narrow(1, 0, 8)).all().item<bool>(), "Fusion last: the output starts with x0' itself.");
                Assert.IsTrue(y.narrow(1, 8, 16).equal(partialOutputs![0]).all().item<bool>(), "...followed by the partial transition of the dense part.");
                Assert.IsTrue(y.narrow(1, 8, 16).equal(y2.narrow(1, 8, 16)).all().item<bool>());
                break;
            case CspFusion.FusionFirst:
                Assert.IsTrue(transitionInputs![0].narrow(1, 0, 16).equal(x).all().item<bool>(), "Fusion first: the transition sees [x0', x0'', new layers].");
                Assert.IsTrue(transitionInputs[0].narrow(1, 8, 20).equal(blockOutputs[0]).all().item<bool>());
                break;
            case CspFusion.Csp:
                Assert.IsTrue(transitionInputs![0].narrow(1, 0, 8).equal(x.narrow(1, 0, 8)).all().item<bool>(), "CSP: the fusion transition sees [x0', partial transition].");
                Assert.IsTrue(transitionInputs[0].narrow(1, 8, 16).equal(partialOutputs![0]).all().item<bool>());
                break;
        }
    }

    [TestMethod]
    public void DownsamplingStagesAveragePoolAfterTheFusion()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        using var stage = new PartialDenseStage(16, 24, 2, 4, 2, CspFusion.FusionLast, 0.5, downsample: true);
        stage.eval();
        using var noGrad = torch.no_grad();
        var x = torch.randn(1, 16, 8, 10);
        var y = stage.call(x);
        CollectionAssert.AreEqual(new long[] { 1, 24, 4, 5 }, y.shape);
        Assert.IsTrue(y.narrow(1, 0, 8).allclose(nn.functional.avg_pool2d(x.narrow(1, 0, 8), 2, 2), rtol: 0, atol: 1e-6));
    }

    [TestMethod]
    public void InvalidSplitsAreRejectedWithTheReason()
    {
        var config = (CspDenseNetConfig)Backbones.GetConfig("cspdensenet121");
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => (config with { Gamma = 1.0 }).Build("x", 10));
        StringAssert.Contains(e.Message, "gamma");
        // A stage whose skip part alone is wider than the stage output leaves no channels for the dense part.
        var narrow = Assert.ThrowsExactly<ArgumentException>(() => new PartialDenseStage(64, 40, 1, 4, 2, CspFusion.FusionLast, 0.25, downsample: false));
        StringAssert.Contains(narrow.Message, "48 skip channels");
        using var firstIsFine = new PartialDenseStage(64, 40, 1, 4, 2, CspFusion.FusionFirst, 0.25, downsample: false);
    }

    internal static List<PartialDenseStage> Stages(Backbone model) =>
        model.named_modules().Where(m => m.module is PartialDenseStage).OrderBy(m => m.name, StringComparer.Ordinal).Select(m => (PartialDenseStage)m.module).ToList();

    internal static nn.Module<Tensor, Tensor> Child(nn.Module module, string name) =>
        (nn.Module<Tensor, Tensor>)module.named_children().Single(c => c.name == name).module;

    /// <summary>Records a copy of a child's input or output on every call.</summary>
    private static List<Tensor> Capture(nn.Module module, string child, bool input)
    {
        var seen = new List<Tensor>();
        Child(module, child).register_forward_hook((m, i, o) =>
        {
            seen.Add((input ? i : o).detach().clone());
            return o;
        });
        return seen;
    }

    private sealed class ShapeComparer : System.Collections.IComparer
    {
        public int Compare(object? a, object? b) => ((long[])a!).SequenceEqual((long[])b!) ? 0 : 1;
    }
}
