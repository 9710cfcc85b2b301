using MLNet.CSP.Models;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Models;

/// <summary>Behaviour every registered backbone must have, at small and non-square inputs.</summary>
[TestClass]
[TestCategory("Slow")]
public sealed class ZooBehaviourTests
{
    public static IEnumerable<object[]> AllNames => Backbones.Names.Select(n => new object[] { n });

    [TestMethod]
    [DynamicData(nameof(AllNames))]
    public void HeadAndClassifierResetWorkOnNonSquareInput(string name)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        using var model = Backbones.Create(name, numClasses: 5);
        model.eval();
        using var noGrad = torch.no_grad();
        var x = torch.randn(2, 3, 96, 160);

        var features = model.ForwardFeatures(x);
        CollectionAssert.AreEqual(new long[] { 2, model.NumFeatures, 3, 5 }, features.shape, "Stride-32 feature map.");
        CollectionAssert.AreEqual(new long[] { 2, model.NumFeatures }, model.ForwardHead(features, preLogits: true).shape);
        CollectionAssert.AreEqual(new long[] { 2, 5 }, model.forward(x).shape);
        Assert.AreEqual(5, model.NumClasses);

        model.ResetClassifier(7);
        Assert.AreEqual(7, model.NumClasses);
        CollectionAssert.AreEqual(new long[] { 2, 7 }, model.forward(x).shape);
        var classifierWeight = model.StateDict().Single(e => e.Key == model.ClassifierPrefix + "weight").Value;
        CollectionAssert.AreEqual(new long[] { 7, model.NumFeatures }, classifierWeight.shape);
        Assert.AreEqual(model.ClassifierPrefix + "bias", model.StateDict()[^1].Key, "The classifier stays last in the state dict.");

        model.ResetClassifier(0);
        var pooled = model.forward(x);
        CollectionAssert.AreEqual(new long[] { 2, model.NumFeatures }, pooled.shape, "Without classifier forward returns pooled features.");
        Assert.IsFalse(model.StateDict().Any(e => e.Key.StartsWith(model.ClassifierPrefix, StringComparison.Ordinal)));
    }

    [TestMethod]
    [DynamicData(nameof(AllNames))]
    public void EvalOutputsAreBatchIndependentAndTrainingDropsTheFastPath(string name)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(2);
        using var model = Backbones.Create(name, numClasses: 4);
        ModelRandomisation.RandomiseBatchNorms(model); // so that folding them into the convolutions changes the weights
        var x = torch.randn(3, 3, 64, 80);
        model.eval();
        Tensor batch, single;
        using (torch.no_grad())
        {
            batch = model.forward(x);
            single = model.forward(x.slice(0, 1, 2, 1));
        }
        Assert.IsTrue(batch[1].allclose(single[0], rtol: 1e-4, atol: 1e-5), "Eval mode must not mix samples (BatchNorm running statistics).");

        model.OptimizeForInference();
        Assert.IsTrue(model.IsOptimizedForInference);
        using (torch.no_grad())
            Assert.IsTrue(model.forward(x).allclose(batch, rtol: 1e-4, atol: 1e-4), "Fast path equals the plain eval forward.");

        model.train();
        var trained = model.forward(x);
        Assert.IsFalse(model.IsOptimizedForInference, "Training mode drops the inference fast path.");
        trained.sum().backward();
        Assert.IsTrue(model.parameters().All(p => p.grad is not null), "Every parameter receives a gradient in training.");
    }

    [TestMethod]
    [DynamicData(nameof(AllNames))]
    public void TrainingOnLargeInputsRunsChannelsLastWithTheSameOutputsAndGradients(string name)
    {
        // forward() trains channels-last from 112x112 on; ForwardStages always runs the plain NCHW path. In float64,
        // so that only the layout differs: random-init training in float32 is ill-conditioned (BatchNorm on batch
        // statistics); both float32 layouts land 1-6% (relative L2) from the float64 gradients.
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(8);
        using var model = Backbones.Create(name, numClasses: 3);
        model.to(ScalarType.Float64);
        model.train();
        var x = torch.randn(2, 3, 112, 112, dtype: ScalarType.Float64);
        var seed = torch.randn(2, 3, dtype: ScalarType.Float64);

        var fast = model.forward(x);
        (fast * seed).sum().backward();
        var fastGrads = model.parameters().Select(p => p.grad!.clone()).ToList();
        model.zero_grad();
        var stages = model.ForwardStages(x);
        var plain = model.ForwardHead(stages[^1].Output);
        (plain * seed).sum().backward();
        var plainGrads = model.parameters().Select(p => p.grad!).ToList();

        double outErr = (fast - plain).norm().item<double>() / plain.norm().item<double>();
        Assert.IsLessThan(1e-9, outErr, "Training outputs equal on both layouts.");
        double diff = fastGrads.Zip(plainGrads).Sum(g => (g.First - g.Second).square().sum().item<double>());
        double norm = plainGrads.Sum(g => g.square().sum().item<double>());
        Assert.IsLessThan(1e-8, Math.Sqrt(diff / norm), $"Training gradients equal on both layouts: relative L2 {Math.Sqrt(diff / norm):G3}; outputs {outErr:G3}.");
    }

    [TestMethod]
    public void UnknownArchitectureListsTheRegisteredNames()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => Backbones.Create("cspresnet51"));
        StringAssert.Contains(e.Message, "cspresnet51");
        StringAssert.Contains(e.Message, "cspdarknet53");
    }

    [TestMethod]
    public void RegisteringAnExistingNameFails()
    {
        Assert.ThrowsExactly<ArgumentException>(() => Backbones.Register("CSPResNet50", Backbones.GetConfig("cspresnet50")));
    }

    [TestMethod]
    public void WrongInputShapeIsRejectedWithItsShape()
    {
        using var model = Backbones.Create("cs3darknet_s");
        using var x = torch.zeros(2, 1, 32, 32);
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.ForwardFeatures(x));
        StringAssert.Contains(e.Message, "[2, 1, 32, 32]");
    }

    [TestMethod]
    public void NamesAreCaseInsensitiveAndKeepTheirCanonicalSpelling()
    {
        using var model = Backbones.Create("CS3DarkNet_S");
        Assert.AreEqual("cs3darknet_s", model.Architecture);
    }
}
