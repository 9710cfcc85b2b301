using System.Text.Json;
using MLNet.CSP.Models.DenseNets;
using MLNet.CSP.Models;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Models;

/// <summary>
/// Every registered backbone that has a golden file (TestData/golden) against it: state-dict keys, order, shapes and
/// dtypes; parameter and MAC counts; and outputs for the protocol's weights and input (relative L2 &lt; 1e-4).
/// <see cref="EveryRegisteredBackboneHasAnIndependentReference"/> makes sure no name escapes every check.
/// </summary>
[TestClass]
public sealed class ZooParityTests
{
    private const double Tolerance = 1e-4;

    public static IEnumerable<object[]> GoldenNames => Backbones.Names.Where(GoldenReference.Exists).Select(n => new object[] { n });

    [TestMethod]
    public void EveryRegisteredBackboneHasAnIndependentReference()
    {
        foreach (var name in Backbones.Names)
        {
            var config = Backbones.GetConfig(name);
            bool covered = GoldenReference.Exists(name)
                || TorchvisionDenseNetTests.PublishedNumbers.ContainsKey(name)
                || config is CspDenseNetConfig; // MLNet.CSP's own: CspDenseNetStructureTests count it layer by layer.
            Assert.IsTrue(covered, $"'{name}' ({config.Reference}) has no golden file and no other independent reference.");
        }
        var goldenFiles = Directory.GetFiles(GoldenReference.Directory, "*.json").Select(Path.GetFileNameWithoutExtension).Order().ToList();
        CollectionAssert.AreEqual(goldenFiles, Backbones.Names.Where(GoldenReference.Exists).Order().ToList(), "Every golden file in TestData belongs to a registered name.");
    }

    [TestMethod]
    [DynamicData(nameof(GoldenNames))]
    public void StateDictMatchesReference(string name)
    {
        var golden = GoldenReference.Load(name);
        using var model = Backbones.Create(name);
        var ours = model.StateDict();
        var reference = golden.StateDict;

        var missing = reference.Select(r => r.Name).Except(ours.Select(o => o.Key)).ToList();
        var extra = ours.Select(o => o.Key).Except(reference.Select(r => r.Name)).ToList();
        Assert.IsEmpty(missing, "Missing keys: " + string.Join(", ", missing.Take(10)));
        Assert.IsEmpty(extra, "Unexpected keys: " + string.Join(", ", extra.Take(10)));
        Assert.HasCount(reference.Count, ours);
        for (int i = 0; i < reference.Count; i++)
        {
            var (key, tensor) = ours[i];
            Assert.AreEqual(reference[i].Name, key, $"Key order differs at entry {i}.");
            CollectionAssert.AreEqual(reference[i].Shape, tensor.shape, $"Shape of {key}.");
            string dtype = tensor.dtype switch { ScalarType.Float32 => "float32", ScalarType.Int64 => "int64", var d => d.ToString() };
            Assert.AreEqual(reference[i].DType, dtype, $"Dtype of {key}.");
        }
        Assert.AreEqual(golden.ParamCount, model.parameters().Sum(p => p.numel()), "Parameter count.");
        Assert.AreEqual(golden.BufferCount, model.buffers().Count(), "Buffer count.");
    }

    [TestMethod]
    [DynamicData(nameof(GoldenNames))]
    public void MacsMatchReference(string name)
    {
        var golden = GoldenReference.Load(name);
        var complexity = Backbones.Describe(name, 224, 224);
        Assert.AreEqual(golden.ConvMacs, complexity.ConvMacs, "Conv MACs at 224x224.");
        Assert.AreEqual(golden.LinearMacs, complexity.LinearMacs, "Linear MACs.");
        Assert.AreEqual(golden.ParamCount, complexity.Parameters, "Parameters.");
    }

    [TestMethod]
    [DynamicData(nameof(GoldenNames))]
    public void OutputsMatchReference(string name)
    {
        var golden = GoldenReference.Load(name);
        using var scope = torch.NewDisposeScope();
        using var model = Backbones.Create(name);
        GoldenFill.Apply(model);
        AssertFillMatches(model, golden);
        model.eval();
        using var noGrad = torch.no_grad();

        var inputA = golden.InputA;
        var x = GoldenFill.Input("input:A", GoldenReference.Longs(inputA.GetProperty("shape")));
        var first8 = x.flatten().slice(0, 0, 8, 1).to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.IsLessThan(1e-7, Compare.RelativeL2(first8, GoldenReference.Doubles(inputA.GetProperty("x_first8"))), "Input generator.");

        var stages = model.ForwardStages(x);
        var expectedStages = inputA.GetProperty("stages").EnumerateArray().ToList();
        CollectionAssert.AreEqual(expectedStages.Select(s => s.GetProperty("name").GetString()).ToList(), stages.Select(s => s.Name).ToList(), "Stage names.");
        for (int i = 0; i < stages.Count; i++) AssertStage(stages[i].Name, stages[i].Output, expectedStages[i]);

        var features = stages[^1].Output;
        var pooled = model.ForwardHead(features, preLogits: true);
        var logits = model.ForwardHead(features, preLogits: false);
        var full = model.forward(x);

        CollectionAssert.AreEqual(GoldenReference.Longs(inputA.GetProperty("pooled_shape")), pooled.shape, "Pooled shape.");
        var pooledRows = inputA.GetProperty("pooled").EnumerateArray().ToList();
        for (int n = 0; n < pooledRows.Count; n++)
        {
            var row = Doubles(pooled[n]);
            Assert.IsLessThan(Tolerance, Compare.RelativeL2(row, GoldenReference.Doubles(pooledRows[n].GetProperty("values"))), $"Pooled features of sample {n}.");
        }

        CollectionAssert.AreEqual(GoldenReference.Longs(inputA.GetProperty("logits_shape")), logits.shape, "Logits shape.");
        var expectedLogits = inputA.GetProperty("logits").EnumerateArray().SelectMany(GoldenReference.Doubles).ToArray();
        Assert.IsLessThan(Tolerance, Compare.RelativeL2(Doubles(logits), expectedLogits), "Logits.");
        Assert.AreEqual(0.0, (full - logits).abs().max().item<float>(), 0.0, "forward equals ForwardFeatures + ForwardHead.");

        // The inference fast path (folded BatchNorm, channels-last) must meet the same tolerance.
        model.OptimizeForInference();
        var fast = model.forward(x);
        Assert.IsLessThan(Tolerance, Compare.RelativeL2(Doubles(fast), expectedLogits), "Logits of the optimized inference path.");
        var fastPooled = model.ForwardHead(model.ForwardFeatures(x), preLogits: true);
        Assert.IsLessThan(Tolerance, Compare.RelativeL2(Doubles(fastPooled[0]), GoldenReference.Doubles(pooledRows[0].GetProperty("values"))), "Pooled features of the optimized path.");
    }

    private static void AssertFillMatches(nn.Module model, GoldenReference golden)
    {
        var sums = golden.StateDict.ToDictionary(e => e.Name, e => e.Sum);
        foreach (var (key, tensor) in model.state_dict())
        {
            if (!tensor.is_floating_point() || sums[key] is not double expected) continue;
            double sum = tensor.to_type(ScalarType.Float64).sum().item<double>();
            Assert.AreEqual(expected, sum, 1e-6 * Math.Max(1.0, Math.Abs(expected)) + 1e-3, $"Fill of {key}.");
        }
    }

    private static void AssertStage(string name, Tensor output, JsonElement expected)
    {
        CollectionAssert.AreEqual(GoldenReference.Longs(expected.GetProperty("shape")), output.shape, $"Shape of {name}.");
        using var d = output.to_type(ScalarType.Float64);
        double rms = d.square().mean().sqrt().item<double>();
        double mean = d.mean().item<double>();
        double absmax = d.abs().max().item<double>();
        double refRms = expected.GetProperty("rms").GetDouble();
        Assert.AreEqual(refRms, rms, Tolerance * refRms, $"RMS of {name}.");
        Assert.AreEqual(expected.GetProperty("mean").GetDouble(), mean, Tolerance * refRms, $"Mean of {name}.");
        Assert.AreEqual(expected.GetProperty("absmax").GetDouble(), absmax, Tolerance * Math.Max(refRms, expected.GetProperty("absmax").GetDouble()), $"Abs max of {name}.");
        var first16 = Doubles(d.flatten().slice(0, 0, 16, 1));
        Assert.IsLessThan(Tolerance, Compare.RelativeL2(first16, GoldenReference.Doubles(expected.GetProperty("first16"))), $"First values of {name}.");
    }

    private static double[] Doubles(Tensor t) => t.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
}
