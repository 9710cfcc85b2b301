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

    /// <summary>
    /// The largest difference between the reference's weights and the flat optimizer's, and the largest between the reference's
    /// and a control run's over the parameters <paramref name="watched"/> picks (the control must differ there, or the test proves nothing).
    /// </summary>
    private static (double Worst, double Apart) Differences(Backbone reference, Backbone flat, Backbone control, Func<string, bool> watched)
    {
        var (expected, actual, other) = (Weights(reference), Weights(flat), Weights(control));
        double worst = 0, apart = 0;
        foreach (var (name, values) in expected)
            for (int i = 0; i < values.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(values[i] - actual[name][i]));
                if (watched(name)) apart = Math.Max(apart, Math.Abs(values[i] - other[name][i]));
            }
        return (worst, apart);
    }

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
    [DataRow(CspOptimizer.AdamW)]
    [DataRow(CspOptimizer.SgdMomentum)]
    public void BiasesAsAGroupStepWithTheirOwnRateAsTorchSharpsParameterGroupsDo(CspOptimizer kind)
    {
        const double decay = 0.05;
        static bool IsBias(string name) => name.EndsWith(".bias", StringComparison.Ordinal);
        static double BiasRate(double lr) => 0.1 * lr * 100; // ten times the others' rate, changing with it
        // The reference: one TorchSharp optimizer per group (per-element arithmetic with a shared step count is what parameter groups do).
        using var reference = Network();
        TorchSharp.Modules.OptimizerHelper Make(IEnumerable<TorchSharp.Modules.Parameter> group) => kind == CspOptimizer.AdamW
            ? torch.optim.AdamW(group, 1e-2, weight_decay: decay)
            : torch.optim.SGD(group, 1e-2, momentum: 0.9, weight_decay: decay);
        using (var others = Make(reference.named_parameters().Where(p => !IsBias(p.name)).Select(p => p.parameter)))
        using (var biases = Make(reference.named_parameters().Where(p => IsBias(p.name)).Select(p => p.parameter)))
            Steps(reference, () => { others.zero_grad(); biases.zero_grad(); }, () => { others.step(); biases.step(); }, lr =>
            {
                foreach (var g in others.ParamGroups) g.LearningRate = lr;
                foreach (var g in biases.ParamGroups) g.LearningRate = BiasRate(lr);
            }, 6);

        using var flat = Network();
        var named = flat.named_parameters().ToList();
        Assert.IsTrue(named.Any(p => IsBias(p.name)), "The network has biases (its normalisation layers').");
        using (var optimizer = new FlatOptimizer(named.Where(p => !IsBias(p.name)).Select(p => p.parameter).ToList(),
            named.Where(p => IsBias(p.name)).Select(p => p.parameter).ToList(), kind, 1e-2, decay))
            Steps(flat, optimizer.ZeroGrad, optimizer.Step, lr => (optimizer.LearningRate, optimizer.BiasLearningRate) = (lr, BiasRate(lr)), 6);

        using var single = Network(); // the same steps with one rate for all: the biases' rate must have made a difference
        using (var optimizer = new FlatOptimizer(single.parameters().ToList(), kind, 1e-2, decay))
            Steps(single, optimizer.ZeroGrad, optimizer.Step, lr => optimizer.LearningRate = lr, 6);

        var (worst, apart) = Differences(reference, flat, single, IsBias);
        Assert.IsGreaterThan(1e-3, apart, "The biases' own rate must change their steps, or the comparison proves nothing.");
        Assert.IsLessThan(1e-5, worst, $"{kind}: largest difference from TorchSharp's optimizers {worst:E1}");
    }

    [TestMethod]
    [DataRow(CspOptimizer.AdamW, false)]
    [DataRow(CspOptimizer.SgdMomentum, false)]
    [DataRow(CspOptimizer.AdamW, true)]
    [DataRow(CspOptimizer.SgdMomentum, true)]
    public void NormWeightsAndBiasesExemptFromDecayStepAsTorchSharpsUndecayedGroupDoes(CspOptimizer kind, bool biasGroup)
    {
        const double decay = 0.5; // large, so the exemption shows within six steps
        static bool IsBias(string name) => name.EndsWith(".bias", StringComparison.Ordinal);
        static double BiasRate(double lr) => 3 * lr;
        // The reference: TorchSharp's optimizers, one with the decay for the convolution and linear weights, one without for
        // every 1-D parameter (normalisation weights, and biases unless they are a group of their own rate).
        using var reference = Network();
        TorchSharp.Modules.OptimizerHelper Make(IEnumerable<TorchSharp.Modules.Parameter> group, double weightDecay) => kind == CspOptimizer.AdamW
            ? torch.optim.AdamW(group, 1e-2, weight_decay: weightDecay)
            : torch.optim.SGD(group, 1e-2, momentum: 0.9, weight_decay: weightDecay);
        var all = reference.named_parameters().ToList();
        var groups = new List<(TorchSharp.Modules.OptimizerHelper Optimizer, Func<double, double> Rate)>
        {
            (Make(all.Where(p => p.parameter.dim() > 1).Select(p => p.parameter), decay), lr => lr),
            (Make(all.Where(p => p.parameter.dim() <= 1 && !(biasGroup && IsBias(p.name))).Select(p => p.parameter), 0), lr => lr),
        };
        if (biasGroup) groups.Add((Make(all.Where(p => IsBias(p.name)).Select(p => p.parameter), 0), BiasRate));
        Steps(reference, () => groups.ForEach(g => g.Optimizer.zero_grad()), () => groups.ForEach(g => g.Optimizer.step()), lr =>
        {
            foreach (var (optimizer, rate) in groups)
                foreach (var g in optimizer.ParamGroups) g.LearningRate = rate(lr);
        }, 6);
        groups.ForEach(g => g.Optimizer.Dispose());

        using var flat = Network();
        var named = flat.named_parameters().ToList();
        Assert.IsTrue(named.Any(p => p.parameter.dim() == 1 && !IsBias(p.name)), "The network has normalisation weights.");
        using (var optimizer = new FlatOptimizer(named.Where(p => !biasGroup || !IsBias(p.name)).Select(p => p.parameter).ToList(),
            named.Where(p => biasGroup && IsBias(p.name)).Select(p => p.parameter).ToList(), kind, 1e-2, decay, exemptOneDimensional: true))
            Steps(flat, optimizer.ZeroGrad, optimizer.Step, lr => (optimizer.LearningRate, optimizer.BiasLearningRate) = (lr, biasGroup ? BiasRate(lr) : null), 6);

        using var decayed = Network(); // the same steps with every parameter decayed: the exemption must have made a difference
        using (var optimizer = new FlatOptimizer(decayed.parameters().ToList(), kind, 1e-2, decay))
            Steps(decayed, optimizer.ZeroGrad, optimizer.Step, lr => optimizer.LearningRate = lr, 6);

        var (worst, apart) = Differences(reference, flat, decayed, name => !IsBias(name) && named.First(p => p.name == name).parameter.dim() == 1);
        Assert.IsGreaterThan(1e-3, apart, "Exempting the normalisation weights must change their steps, or the comparison proves nothing.");
        Assert.IsLessThan(1e-5, worst, $"{kind}: largest difference from TorchSharp's optimizers {worst:E1}");
    }

    [TestMethod]
    public void TheBiasWarmUpFallsFromItsStartToTheScheduleWhileTheOthersRise()
    {
        const double peak = 1e-3, start = 0.1;
        const long warmup = 10, total = 100;
        for (long step = 0; step < total; step++)
        {
            double lr = LearningRates.At(step, total, warmup, peak, CspLearningRateSchedule.Cosine);
            double bias = LearningRates.BiasAt(step, warmup, start, lr);
            if (step >= warmup - 1) Assert.AreEqual(lr, bias, 1e-15, $"step {step}: after the warm-up the biases follow the schedule");
            else Assert.AreEqual(start + (peak - start) * (step + 1) / warmup, bias, 1e-12, $"step {step}: linear from {start} to the peak");
        }
        Assert.AreEqual(peak * 0.5, LearningRates.BiasAt(0, 0, start, peak * 0.5), "No warm-up: no bias warm-up either.");
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
