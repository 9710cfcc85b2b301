using MLNet.CSP.Detection;
using MLNet.CSP.Export.Onnx;
using MLNet.CSP.Tests.Models;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Export;

/// <summary>
/// Detectors exported to ONNX (backbone pyramid, neck, head and the box decoding in the graph) and run by ONNX Runtime: boxes
/// and scores equal the TorchSharp detector's maps decoded by the library's own decoder (relative L2 &lt; 1e-4), for every neck
/// and for trunks whose pyramids are named differently (ResNet, DenseNet, CSPDenseNet's pooled stride-4 level).
/// </summary>
[TestClass]
[TestCategory("Slow")]
public sealed class DetectorOnnxExportTests
{
    public static IEnumerable<object[]> Cases =>
    [
        ["cs3darknet_s", NeckKind.Efm], ["cs3darknet_s", NeckKind.PanetSpp], ["cs3darknet_s", NeckKind.Fpn],
        ["resnet50", NeckKind.Efm], ["cspdensenet121_s", NeckKind.Efm], ["densenet121", NeckKind.Fpn],
    ];

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void ExportedDetectorDecodesAsTheLibrary(string architecture, NeckKind neck)
    {
        torch.manual_seed(11);
        const int size = 96;
        using var detector = new CspDetector(architecture, 4, neck, AnchorBoxes.CocoFor(size), size);
        ModelRandomisation.RandomiseBatchNorms(detector);
        detector.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();

        var stream = new MemoryStream();
        var info = detector.ExportOnnx(stream);
        long anchors = 3 * (12 * 12 + 6 * 6 + 3 * 3);
        CollectionAssert.AreEqual(new long[] { -1, anchors, 4 }, info.OutputShape.ToArray());
        using var session = OnnxRuntimeRunner.Open(stream.ToArray());
        Assert.AreEqual(neck.ToString(), session.ModelMetadata.CustomMetadataMap["mlnet_csp.neck"]);

        var x = torch.randn(2, 3, size, size, generator: new torch.Generator(3));
        var (boxes, scores) = OnnxRuntimeRunner.RunDetector(session, "input", x);
        var (expectedBoxes, expectedScores) = Decode(detector, detector.forward(x), size);
        CollectionAssert.AreEqual(expectedBoxes.shape, boxes.shape);
        CollectionAssert.AreEqual(expectedScores.shape, scores.shape);
        Assert.IsLessThan(1e-4, Compare.TensorRelativeL2(boxes, expectedBoxes), "Boxes.");
        Assert.IsLessThan(1e-4, Compare.TensorRelativeL2(scores, expectedScores), "Scores.");
    }

    [TestMethod]
    public void SizeAndOutputOptionsThatADetectorCannotHonourAreRefused()
    {
        using var detector = new CspDetector("cs3darknet_s", 2, NeckKind.Efm, AnchorBoxes.CocoFor(64), 64);
        Assert.ThrowsExactly<ArgumentException>(() => detector.ExportOnnx(new MemoryStream(), new OnnxExportOptions { DynamicSize = true }));
        Assert.ThrowsExactly<ArgumentException>(() => detector.ExportOnnx(new MemoryStream(), new OnnxExportOptions { Output = OnnxOutput.Logits }));
    }

    /// <summary>The library's decoding (as <see cref="DetectionDecoder"/> before thresholds): corner boxes clipped to the input, obj x cls.</summary>
    private static (Tensor Boxes, Tensor Scores) Decode(CspDetector detector, IReadOnlyList<Tensor> outputs, int size)
    {
        var boxes = new List<Tensor>();
        var scores = new List<Tensor>();
        for (int s = 0; s < outputs.Count; s++)
        {
            var p = YoloGrid.PerAnchor(outputs[s], AnchorBoxes.PerScale);
            long n = p.shape[0];
            boxes.Add(YoloGrid.ToCorners(YoloGrid.DecodeAll(p, detector.Anchors.OfScale(s), DetectionNeck.OutputStrides[s])).reshape(n, -1, 4));
            scores.Add((p[TensorIndex.Ellipsis, 4..5].sigmoid() * p[TensorIndex.Ellipsis, 5..].sigmoid()).reshape(n, -1, detector.NumClasses));
        }
        return (torch.cat(boxes, 1).clamp(0, size), torch.cat(scores, 1));
    }
}
