using MLNet.CSP.Models;
using MLNet.CSP.Tests.Models;
using MLNet.CSP.Weights;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Weights;

[TestClass]
public sealed class CheckpointTests : TempDirectoryTest
{
    [TestMethod]
    [DataRow("model.safetensors")]
    [DataRow("model.pth")]
    public void SaveThenLoadReproducesOutputsExactly(string fileName)
    {
        using var scope = torch.NewDisposeScope();
        using var source = Backbones.Create("cs3darknet_s", 10);
        GoldenFill.Apply(source);
        string path = Path.Combine(Folder, fileName);
        Checkpoint.Save(source, path);

        using var target = Backbones.Create("cs3darknet_s", 10);
        Checkpoint.Load(target, path);
        source.eval();
        target.eval();
        using var noGrad = torch.no_grad();
        var x = torch.randn(2, 3, 64, 64);
        Assert.IsTrue(source.forward(x).eq(target.forward(x)).all().item<bool>(), "Bit-identical outputs after a round trip.");
        var keys = Checkpoint.Read(path).Keys.ToList();
        CollectionAssert.AreEquivalent(source.StateDict().Select(e => e.Key).ToList(), keys);
    }

    [TestMethod]
    [DataRow("model.safetensors")]
    [DataRow("model.pth")]
    public void ASmallerStateDictWrittenOverALargerFileReadsBackWhole(string fileName)
    {
        string path = Path.Combine(Folder, fileName);
        using (var larger = Backbones.Create("cspresnet50", 10)) Checkpoint.Save(larger, path);
        long largerLength = new FileInfo(path).Length;
        using var smaller = Backbones.Create("cs3darknet_s", 10);
        GoldenFill.Apply(smaller);
        Checkpoint.Save(smaller, path);
        Assert.IsLessThan(largerLength / 2, new FileInfo(path).Length, "The file holds the new state dict only, not the old one's tail.");
        var read = Checkpoint.Read(path);
        try
        {
            var expected = smaller.StateDict().ToDictionary(e => e.Key, e => e.Value);
            CollectionAssert.AreEquivalent(expected.Keys.ToList(), read.Keys.ToList());
            foreach (var (key, value) in read) Assert.IsTrue(value.eq(expected[key]).all().item<bool>(), key);
        }
        finally
        {
            foreach (var t in read.Values) t.Dispose();
        }
        Assert.IsEmpty(Directory.GetFiles(Folder, "*.tmp"), "No temporary file is left beside it.");
    }

    [TestMethod]
    public void CheckpointOfAnotherArchitectureListsTheMismatchedKeys()
    {
        string path = Path.Combine(Folder, "darknet.safetensors");
        using (var darknet = Backbones.Create("darknet53", 10)) Checkpoint.Save(darknet, path);
        using var csp = Backbones.Create("cspdarknet53", 10);
        var e = Assert.ThrowsExactly<CheckpointMismatchException>(() => Checkpoint.Load(csp, path));
        StringAssert.Contains(e.Message, "cspdarknet53");
        StringAssert.Contains(e.Message, path);
        Assert.Contains("stages.0.conv_exp.conv.weight", e.Missing);
        Assert.Contains("stages.0.conv_exp.conv.weight", e.Message);
        Assert.IsNotEmpty(e.ShapeMismatches);
        Assert.IsTrue(e.ShapeMismatches.All(m => m.Contains(": checkpoint [", StringComparison.Ordinal) && m.Contains("] vs network [", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void ClassifierOfAnotherSizeIsStrictUnlessSkipped()
    {
        string path = Path.Combine(Folder, "imagenet.safetensors");
        using var imagenet = Backbones.Create("cs3darknet_s", 1000);
        GoldenFill.Apply(imagenet);
        Checkpoint.Save(imagenet, path);

        using var small = Backbones.Create("cs3darknet_s", 3);
        var e = Assert.ThrowsExactly<CheckpointMismatchException>(() => Checkpoint.Load(small, path));
        Assert.HasCount(2, e.ShapeMismatches, "Only the classifier weight and bias differ.");

        using var freshHead = small.StateDict().Single(p => p.Key == "head.fc.weight").Value.clone();
        Checkpoint.Load(small, path, new CheckpointLoadOptions { SkipMismatchedClassifier = true });
        var loadedStem = small.StateDict().Single(p => p.Key == "stem.conv1.conv.weight").Value;
        var sourceStem = imagenet.StateDict().Single(p => p.Key == "stem.conv1.conv.weight").Value;
        Assert.IsTrue(loadedStem.eq(sourceStem).all().item<bool>(), "Backbone weights are loaded.");
        Assert.IsTrue(small.StateDict().Single(p => p.Key == "head.fc.weight").Value.eq(freshHead).all().item<bool>(), "The classifier is kept.");
    }

    [TestMethod]
    [DataRow("model.safetensors", 2)]
    [DataRow("model.pth", 3)]
    public void TruncatedFileFailsWithItsPath(string fileName, int keepOneIn)
    {
        string path = Path.Combine(Folder, fileName);
        using (var model = Backbones.Create("cs3darknet_s")) Checkpoint.Save(model, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / keepOneIn)]);
        using var target = Backbones.Create("cs3darknet_s");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Checkpoint.Load(target, path));
        StringAssert.Contains(e.Message, path);
    }

    [TestMethod]
    public void MissingFileIsReportedAsSuch()
    {
        using var model = Backbones.Create("cs3darknet_s");
        Assert.ThrowsExactly<FileNotFoundException>(() => Checkpoint.Load(model, Path.Combine(Folder, "none.safetensors")));
    }

    [TestMethod]
    public void LoadingRefreshesTheInferenceFastPath()
    {
        using var scope = torch.NewDisposeScope();
        string path = Path.Combine(Folder, "filled.safetensors");
        using (var filled = Backbones.Create("cs3darknet_s")) { GoldenFill.Apply(filled); Checkpoint.Save(filled, path); }

        using var model = Backbones.Create("cs3darknet_s");
        model.OptimizeForInference();
        Checkpoint.Load(model, path);
        using var reference = Backbones.Create("cs3darknet_s");
        Checkpoint.Load(reference, path);
        reference.eval();
        using var noGrad = torch.no_grad();
        var x = torch.randn(1, 3, 64, 64);
        Assert.IsTrue(model.forward(x).allclose(reference.forward(x), rtol: 1e-4, atol: 1e-4), "Folded weights follow the loaded checkpoint.");
    }
}
