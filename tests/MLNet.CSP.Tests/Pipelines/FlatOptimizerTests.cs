using MLNet.CSP.Models;
using MLNet.CSP.Pipelines.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>
/// The trainer's flat optimizer against TorchSharp's own AdamW and SGD (PyTorch's arithmetic): the same network, data and
/// steps give the same weights; its state saves and loads; the parameters and gradients become views of the flat buffers.
/// </summary>
[TestClass]
public sealed class FlatOptimizerTests : TempDirectoryTest
{
    private static Backbone Network()
    {
        torch.manual_seed(3);
        var net = Backbones.Create("cs3darknet_s", numClasses: 4);
        net.train();
        return net;
    }

    private static void Steps(Backbone net, Action zeroGrad, Action step, Action<double> setRate, int count)
    {
        var generator = new torch.Generator(5);
        for (int i = 0; i < count; i++)
        {
            using var scope = torch.NewDisposeScope();
            var x = torch.randn(4, 3, 32, 32, generator: generator);
            var y = torch.tensor(new long[] { 0, 1, 2, 3 });
            setRate(1e-2 / (i + 1)); // a changing rate, as the schedules give
            zeroGrad();
            nn.functional.cross_entropy(net.forward(x), y).backward();
            step();
        }
    }

    private static Dictionary<string, float[]> Weights(Backbone net) =>
        net.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().cpu().data<float>().ToArray());

    [TestMethod]
    [DataRow(CspOptimizer.AdamW)]
    [DataRow(CspOptimizer.SgdMomentum)]
    public void TakesTheStepsOfTorchSharpsOwnOptimizer(CspOptimizer kind)
    {
        const double decay = 0.05;
        using var reference = Network();
        var referenceParameters = reference.parameters().ToList();
        using (var optimizer = kind == CspOptimizer.AdamW
            ? (TorchSharp.Modules.OptimizerHelper)torch.optim.AdamW(referenceParameters, 1e-2, weight_decay: decay)
            : torch.optim.SGD(referenceParameters, 1e-2, momentum: 0.9, weight_decay: decay))
            Steps(reference, () => optimizer.zero_grad(), () => optimizer.step(), lr => { foreach (var g in optimizer.ParamGroups) g.LearningRate = lr; }, 6);

        using var flat = Network();
        using (var optimizer = new FlatOptimizer(flat.parameters().ToList(), kind, 1e-2, decay))
            Steps(flat, optimizer.ZeroGrad, optimizer.Step, lr => optimizer.LearningRate = lr, 6);

        var expected = Weights(reference);
        var actual = Weights(flat);
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), actual.Keys.ToList());
        double worst = 0, moved = 0;
        using var initial = Network();
        var start = Weights(initial);
        foreach (var (name, values) in expected)
            for (int i = 0; i < values.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(values[i] - actual[name][i]));
                moved = Math.Max(moved, Math.Abs(values[i] - start[name][i]));
            }
        Assert.IsGreaterThan(1e-3, moved, "Six steps must move the weights, or the comparison proves nothing.");
        Assert.IsLessThan(1e-5, worst, $"{kind}: largest difference from TorchSharp's optimizer {worst:E1}");
    }

    [TestMethod]
    public void StateSavesAndLoadsSoAResumedRunTakesTheSameSteps()
    {
        string modelPath = Path.Combine(Folder, "model.safetensors"), statePath = Path.Combine(Folder, "optimizer.safetensors");
        using (var first = Network())
        using (var optimizer = new FlatOptimizer(first.parameters().ToList(), CspOptimizer.AdamW, 1e-2, 0.05))
        {
            Steps(first, optimizer.ZeroGrad, optimizer.Step, lr => optimizer.LearningRate = lr, 2);
            Assert.AreEqual(2L, optimizer.Steps);
            MLNet.CSP.Weights.Checkpoint.Save(first, modelPath);
            optimizer.Save(statePath);
        }
        using var resumed = Network();
        MLNet.CSP.Weights.Checkpoint.Load(resumed, modelPath);
        using (var optimizer = new FlatOptimizer(resumed.parameters().ToList(), CspOptimizer.AdamW, 1e-2, 0.05))
        {
            optimizer.Load(statePath);
            Assert.AreEqual(2L, optimizer.Steps);
            // The data generator restarts, as a resumed epoch's does not; compare against the same two batches taken again.
            Steps(resumed, optimizer.ZeroGrad, optimizer.Step, lr => optimizer.LearningRate = lr, 2);
        }
        using var twice = Network();
        using (var optimizer = new FlatOptimizer(twice.parameters().ToList(), CspOptimizer.AdamW, 1e-2, 0.05))
        {
            Steps(twice, optimizer.ZeroGrad, optimizer.Step, lr => optimizer.LearningRate = lr, 2);
            Steps(twice, optimizer.ZeroGrad, optimizer.Step, lr => optimizer.LearningRate = lr, 2);
        }
        var expected = Weights(twice);
        var actual = Weights(resumed);
        foreach (var (name, values) in expected) CollectionAssert.AreEqual(values, actual[name], name);

        using var other = Backbones.Create("cs3darknet_s", numClasses: 7);
        using var mismatched = new FlatOptimizer(other.parameters().ToList(), CspOptimizer.AdamW, 1e-2, 0.05);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => mismatched.Load(statePath));
        StringAssert.Contains(error.Message, "optimizer.safetensors");
    }

    [TestMethod]
    public void ParametersAndGradientsAreViewsOfTwoBuffers()
    {
        using var net = Network();
        var parameters = net.parameters().ToList();
        var before = Weights(net);
        using var optimizer = new FlatOptimizer(parameters, CspOptimizer.SgdMomentum, 0.1, 0);
        var after = Weights(net);
        foreach (var (name, values) in before) CollectionAssert.AreEqual(values, after[name], $"{name} keeps its values");
        Steps(net, optimizer.ZeroGrad, optimizer.Step, lr => optimizer.LearningRate = 0.1, 1);
        Assert.IsTrue(parameters.All(p => p.grad is not null), "Every parameter has its gradient view.");
        Assert.IsTrue(parameters.Any(p => p.grad!.abs().max().item<float>() > 0), "Autograd accumulated into the views.");
        optimizer.ZeroGrad();
        Assert.IsTrue(parameters.All(p => p.grad!.abs().max().item<float>() == 0), "One zero_ clears every gradient.");
        Assert.ThrowsExactly<ArgumentException>(() => new FlatOptimizer([], CspOptimizer.AdamW, 1e-3, 0));
    }
}
