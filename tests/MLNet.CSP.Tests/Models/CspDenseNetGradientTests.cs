using MLNet.CSP.Models.DenseNets;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Models;

/// <summary>
/// The paper's gradient claims, checked with autograd on a tiny stage (16 input channels, gamma 0.5, 3 dense layers):
/// the skip part x0' contributes nothing to the dense block's weight gradients (for the same gradient at the stage
/// output they are identical whatever x0' holds), the gradient reaching x0' does not pass through the dense block
/// (it is not duplicated into every dense layer as in DenseNet), and in fusion last the gradient of the skip part's
/// output never reaches the dense weights, while in CSP and fusion first the fusion transition carries it there.
/// </summary>
[TestClass]
public sealed class CspDenseNetGradientTests
{
    private const int Skip = 8;

    [TestMethod]
    [DataRow(CspFusion.Csp)]
    [DataRow(CspFusion.FusionFirst)]
    [DataRow(CspFusion.FusionLast)]
    public void TheSkipPartsGradientDoesNotDependOnTheDenseBlock(CspFusion fusion)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(4);
        using var stage = new PartialDenseStage(16, 24, numLayers: 3, growthRate: 4, bnSize: 2, fusion, gamma: 0.5, downsample: false);
        var (before, after) = InputGradientBeforeAndAfterRerandomising(stage, CspDenseNetStructureTests.Child(stage, "dense"));

        Assert.IsGreaterThan(0.0, before.narrow(1, 0, Skip).abs().sum().item<float>(), "x0' receives a gradient.");
        Assert.IsTrue(before.narrow(1, 0, Skip).allclose(after.narrow(1, 0, Skip), rtol: 1e-5, atol: 1e-6),
            "The gradient reaching x0' is the same whatever the dense block's weights: it does not flow through the block.");
        Assert.IsFalse(before.narrow(1, Skip, 8).allclose(after.narrow(1, Skip, 8), rtol: 1e-3, atol: 1e-4),
            "The gradient reaching x0'' does flow through the block.");
    }

    [TestMethod]
    [DataRow(CspFusion.Csp)]
    [DataRow(CspFusion.FusionFirst)]
    [DataRow(CspFusion.FusionLast)]
    public void TheDenseWeightsGradientGetsNothingFromTheSkipPart(CspFusion fusion)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        using var stage = new PartialDenseStage(16, 24, numLayers: 3, growthRate: 4, bnSize: 2, fusion, gamma: 0.5, downsample: false);
        var x = torch.randn(4, 16, 6, 6);
        var seed = torch.randn(4, 24, 6, 6);
        var dense = CspDenseNetStructureTests.Child(stage, "dense");

        InputGradient(stage, x, seed);
        var before = dense.parameters().Select(p => p.grad!.clone()).ToList();
        var otherSkip = x.clone();
        otherSkip.narrow(1, 0, Skip).copy_(torch.randn(4, Skip, 6, 6) * 3);
        InputGradient(stage, otherSkip, seed);
        var after = dense.parameters().Select(p => p.grad!.clone()).ToList();
        var otherPart = x.clone();
        otherPart.narrow(1, Skip, 8).copy_(torch.randn(4, 8, 6, 6));
        InputGradient(stage, otherPart, seed);
        var changedPart = dense.parameters().Select(p => p.grad!.clone()).ToList();

        Assert.IsGreaterThan(0.0, before.Sum(g => g.abs().sum().item<float>()));
        for (int i = 0; i < before.Count; i++)
            Assert.IsTrue(before[i].allclose(after[i], rtol: 1e-5, atol: 1e-6), $"Dense parameter {i}: replacing x0' must not change its gradient.");
        Assert.IsFalse(before.Zip(changedPart).All(p => p.First.allclose(p.Second, rtol: 1e-3, atol: 1e-5)), "Replacing x0'' does change the dense gradients.");
    }

    [TestMethod]
    public void InPlainDenseNetTheBlockInputsGradientFlowsThroughEveryLayer()
    {
        // The contrast: DenseNet feeds all of x0 to every dense layer, so re-randomising the layers changes the
        // gradient of the same 8 channels that a CSP stage lets skip the block.
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(4);
        using var block = new DenseBlock(3, 16, 4, 2);
        using var transition = new DenseTransition(16 + 3 * 4, 24, downsample: false);
        var stage = nn.Sequential(("block", block), ("transition", transition));
        var (before, after) = InputGradientBeforeAndAfterRerandomising(stage, block);
        Assert.IsFalse(before.narrow(1, 0, Skip).allclose(after.narrow(1, 0, Skip), rtol: 1e-3, atol: 1e-4));
    }

    [TestMethod]
    [DataRow(CspFusion.Csp, true)]
    [DataRow(CspFusion.FusionFirst, true)]
    [DataRow(CspFusion.FusionLast, false)]
    public void GradientOfTheSkipOutputReachesTheDenseWeightsOnlyThroughAFusionTransition(CspFusion fusion, bool reaches)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(6);
        using var stage = new PartialDenseStage(16, 24, numLayers: 3, growthRate: 4, bnSize: 2, fusion, gamma: 0.5, downsample: false);
        var x = torch.randn(4, 16, 6, 6);
        var seed = torch.zeros(4, 24, 6, 6);
        seed.narrow(1, 0, Skip).copy_(torch.randn(4, Skip, 6, 6)); // the gradient of the output's first 8 channels only

        var inputGradient = InputGradient(stage, x, seed);
        var denseWeights = CspDenseNetStructureTests.Child(stage, "dense").parameters().ToList();
        double denseGradient = denseWeights.Sum(p => p.grad is null ? 0.0 : p.grad.abs().sum().item<float>());
        if (reaches)
        {
            Assert.IsGreaterThan(0.0, denseGradient, "The fusion transition mixes both parts, so the dense weights get gradient.");
            return;
        }
        Assert.AreEqual(0.0, denseGradient, "Fusion last: the output's first channels are x0' itself, so no gradient reaches the dense block.");
        Assert.IsTrue(inputGradient.narrow(1, 0, Skip).equal(seed.narrow(1, 0, Skip)).all().item<bool>(), "x0' receives exactly the output gradient, once.");
        Assert.AreEqual(0.0, inputGradient.narrow(1, Skip, 8).abs().sum().item<float>());
    }

    /// <summary>The gradient at a random 16-channel input for a random output seed, before and after re-randomising <paramref name="block"/>.</summary>
    private static (Tensor Before, Tensor After) InputGradientBeforeAndAfterRerandomising(nn.Module<Tensor, Tensor> stage, nn.Module block)
    {
        var x = torch.randn(4, 16, 6, 6);
        var seed = torch.randn(4, 24, 6, 6);
        var before = InputGradient(stage, x, seed);
        Rerandomise(block);
        return (before, InputGradient(stage, x, seed));
    }

    private static Tensor InputGradient(nn.Module<Tensor, Tensor> stage, Tensor x, Tensor seed)
    {
        stage.train();
        stage.zero_grad();
        var leaf = x.detach().requires_grad_(true);
        using var y = stage.call(leaf);
        using var loss = (y * seed).sum();
        loss.backward();
        return leaf.grad!.clone();
    }

    private static void Rerandomise(nn.Module module)
    {
        using var noGrad = torch.no_grad();
        foreach (var p in module.parameters()) p.copy_(torch.randn_like(p) * 0.5 + (p.dim() == 1 ? 1.0 : 0.0));
    }
}
