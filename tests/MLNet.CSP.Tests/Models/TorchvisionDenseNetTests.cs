using MLNet.CSP.Models;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MLNet.CSP.Tests.Models;

/// <summary>
/// densenet169 and densenet201 (no golden files): torchvision's published parameter counts and GMACs
/// (<c>DenseNet169_Weights</c>/<c>DenseNet201_Weights</c> meta: num_params, _ops), and the key layout of the
/// densenet121 golden file wherever the block configurations agree.
/// </summary>
[TestClass]
public sealed class TorchvisionDenseNetTests
{
    /// <summary>torchvision's published num_params and GMACs at 224 (with half a unit of their last digit), and feature width.</summary>
    public static readonly IReadOnlyDictionary<string, (long Parameters, double GMacs, double Rounding, int Features)> PublishedNumbers =
        new Dictionary<string, (long, double, double, int)>
        {
            ["densenet169"] = (14_149_480, 3.36, 0.005, 1664),
            ["densenet201"] = (20_013_928, 4.291, 0.0005, 1920),
        };

    public static IEnumerable<object[]> Names => PublishedNumbers.Keys.Select(n => new object[] { n });

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void ParametersAndMacsMatchTorchvisionsPublishedNumbers(string name)
    {
        var (parameters, gmacs, rounding, features) = PublishedNumbers[name];
        var complexity = Backbones.Describe(name);
        Assert.AreEqual(parameters, complexity.Parameters);
        Assert.AreEqual(gmacs, complexity.Macs / 1e9, rounding);
        using var model = Backbones.Create(name);
        Assert.AreEqual(features, model.NumFeatures);
    }

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void KeysFollowTorchvisionsLayout(string name)
    {
        using var model = Backbones.Create(name);
        var ours = model.StateDict().Select(e => (e.Key, Shape: e.Value.shape)).ToList();
        var golden121 = GoldenReference.Load("densenet121").StateDict;
        // Blocks 1 and 2 and their transitions have 6 and 12 layers in every torchvision DenseNet.
        int shared = golden121.TakeWhile(e => !e.Name.StartsWith("features.denseblock3", StringComparison.Ordinal)).Count();
        for (int i = 0; i < shared; i++)
        {
            Assert.AreEqual(golden121[i].Name, ours[i].Key, $"Key {i}.");
            CollectionAssert.AreEqual(golden121[i].Shape, ours[i].Shape, $"Shape of {ours[i].Key}.");
        }
        int depth3 = name == "densenet169" ? 32 : 48;
        var keys = ours.ToDictionary(e => e.Key, e => e.Shape);
        CollectionAssert.AreEqual(new long[] { 32, 128, 3, 3 }, keys[$"features.denseblock3.denselayer{depth3}.conv2.weight"]);
        Assert.IsFalse(keys.ContainsKey($"features.denseblock3.denselayer{depth3 + 1}.conv2.weight"));
        CollectionAssert.AreEqual(new long[] { 32, 128, 3, 3 }, keys["features.denseblock4.denselayer32.conv2.weight"]);
        Assert.AreEqual("classifier.bias", ours[^1].Key);
    }
}
