namespace MLNet.CSP.Export.Onnx;

/// <summary>
/// A module that can write its inference forward into an ONNX graph: the same computation as its eval-mode
/// <c>forward</c>, as ONNX operators (BatchNorms after convolutions folded).
/// </summary>
internal interface IOnnxExportable
{
    /// <summary>Adds this module's operators reading <paramref name="input"/>; returns the name of its output.</summary>
    string ExportOnnx(OnnxGraph graph, string input);
}
