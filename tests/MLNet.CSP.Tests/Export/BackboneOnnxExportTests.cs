using MLNet.CSP.Export.Onnx;
using MLNet.CSP.Models;
using MLNet.CSP.Tests.Models;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Export;

/// <summary>
/// Every registered backbone exported to ONNX and run by ONNX Runtime: outputs equal the TorchSharp forward (relative L2
/// &lt; 1e-4) on the golden protocol's weights and input A, and on a non-square input through a graph with symbolic sizes;
/// where a golden file exists, ONNX Runtime's logits also match the reference implementation's.
/// </summary>
[TestClass]
[TestCategory("Slow")]
public sealed class BackboneOnnxExportTests : TempDirectoryTest
{
    private const double Tolerance = 1e-4;

    public static IEnumerable<object[]> Names => Backbones.Names.Select(n => new object[] { n });

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void ExportMatchesTorchAndReference(string name)
    {
        using var model = Backbones.Create(name);
        GoldenFill.Apply(model);
        model.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();

        var stream = new MemoryStream();
        var info = model.ExportOnnx(stream, 224, 224, new OnnxExportOptions { DynamicSize = true });
        Assert.AreEqual("input", info.InputName);
        Assert.AreEqual("logits", info.OutputName);
        CollectionAssert.AreEqual(new long[] { -1, 3, -1, -1 }, info.InputShape.ToArray());
        CollectionAssert.AreEqual(new long[] { -1, 1000 }, info.OutputShape.ToArray());
        using var session = OnnxRuntimeRunner.Open(stream.ToArray());
        Assert.AreEqual(name, session.ModelMetadata.CustomMetadataMap["mlnet_csp.architecture"]);

        var x = GoldenFill.Input("input:A", 2, 3, 224, 224);
        var ours = OnnxRuntimeRunner.Run(session, "input", x);
        var torchLogits = model.forward(x);
        CollectionAssert.AreEqual(torchLogits.shape, ours.shape);
        double error = Compare.TensorRelativeL2(ours, torchLogits);
        Console.WriteLine($"{name}: ONNX Runtime vs TorchSharp relative L2 {error:E2} ({stream.Length / 1e6:F1} MB)");
        Assert.IsLessThan(Tolerance, error, "ONNX Runtime vs TorchSharp, input A.");
        if (GoldenReference.Exists(name))
        {
            var expected = GoldenReference.Load(name).InputA.GetProperty("logits").EnumerateArray().SelectMany(GoldenReference.Doubles).ToArray();
            var actual = ours.to_type(ScalarType.Float64).flatten().data<double>().ToArray();
            Assert.IsLessThan(Tolerance, Compare.RelativeL2(actual, expected), "ONNX Runtime vs the reference implementation's logits.");
        }

        var wide = GoldenFill.Input("input:wide", 1, 3, 96, 160);
        Assert.IsLessThan(Tolerance, Compare.TensorRelativeL2(OnnxRuntimeRunner.Run(session, "input", wide), model.forward(wide)), "Non-square input, symbolic size.");
    }

    [TestMethod]
    public void FeaturesAndProbabilitiesOutputs()
    {
        using var model = Backbones.Create("cs3darknet_s", numClasses: 7);
        ModelRandomisation.RandomiseBatchNorms(model);
        model.eval();
        using var noGrad = torch.no_grad();
        var x = torch.randn(3, 3, 64, 64, generator: new torch.Generator(5));

        foreach (var pooling in new[] { GlobalPooling.Average, GlobalPooling.Max })
        {
            var stream = new MemoryStream();
            var info = model.ExportOnnx(stream, 64, 64, new OnnxExportOptions { Output = OnnxOutput.Features, Pooling = pooling });
            Assert.AreEqual("features", info.OutputName);
            CollectionAssert.AreEqual(new long[] { -1, model.NumFeatures }, info.OutputShape.ToArray());
            using var session = OnnxRuntimeRunner.Open(stream.ToArray());
            using var features = model.ForwardFeatures(x);
            Assert.IsLessThan(Tolerance, Compare.TensorRelativeL2(OnnxRuntimeRunner.Run(session, "input", x), model.ForwardPooled(features, pooling)), $"{pooling} features.");
        }

        var probabilities = new MemoryStream();
        model.ExportOnnx(probabilities, 64, 64, new OnnxExportOptions { Output = OnnxOutput.Probabilities, DynamicBatch = false, Opset = 13 });
        using var fixedSession = OnnxRuntimeRunner.Open(probabilities.ToArray());
        CollectionAssert.AreEqual(new[] { 1, 3, 64, 64 }, fixedSession.InputMetadata["input"].Dimensions);
        var one = x.narrow(0, 0, 1);
        Assert.IsLessThan(Tolerance, Compare.TensorRelativeL2(OnnxRuntimeRunner.Run(fixedSession, "input", one), model.forward(one).softmax(1)));
    }

    [TestMethod]
    public void OptimizedModelExportsTheSameGraphAndBadOptionsAreRefused()
    {
        using var model = Backbones.Create("cspresnet50", numClasses: 4);
        ModelRandomisation.RandomiseBatchNorms(model);
        var plain = new MemoryStream();
        model.ExportOnnx(plain, 64, 64);
        model.OptimizeForInference();
        var optimized = new MemoryStream();
        model.ExportOnnx(optimized, 64, 64);
        CollectionAssert.AreEqual(plain.ToArray(), optimized.ToArray(), "The export reads the trained parameters, whatever path the model runs.");

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.ExportOnnx(new MemoryStream(), 64, 64, new OnnxExportOptions { Opset = 12 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.ExportOnnx(new MemoryStream(), 0, 64));
        using var headless = Backbones.Create("cspresnet50", numClasses: 0);
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => headless.ExportOnnx(new MemoryStream(), 64, 64, new OnnxExportOptions { Output = OnnxOutput.Logits }));
        StringAssert.Contains(error.Message, "no classifier");

        string path = Path.Combine(Folder, "sub", "model.onnx");
        model.ExportOnnx(path, 64, 64);
        long size = new FileInfo(path).Length;
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.ExportOnnx(path, 64, 64, new OnnxExportOptions { Opset = 99 }));
        Assert.AreEqual(size, new FileInfo(path).Length, "A refused export leaves the earlier file as it was.");
        Assert.HasCount(1, Directory.GetFiles(Path.Combine(Folder, "sub")), "No temporary file is left behind.");
    }
}
