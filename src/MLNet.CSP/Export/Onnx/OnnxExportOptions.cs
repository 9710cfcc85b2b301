namespace MLNet.CSP.Export.Onnx;

/// <summary>Options of an ONNX export. The defaults write a model any ONNX Runtime since 1.12 loads.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>Lowest ONNX opset the exporter writes (Slice and Softmax in their opset-13 form).</summary>
    public const int MinOpset = 13;

    /// <summary>Highest ONNX opset the exporter writes.</summary>
    public const int MaxOpset = 21;

    /// <summary>The batch dimension is symbolic (<c>N</c>); when false the model takes exactly one image. Default true.</summary>
    public bool DynamicBatch { get; set; } = true;

    /// <summary>
    /// Height and width are symbolic (<c>height</c>, <c>width</c>): the model accepts any input size, as the TorchSharp network
    /// does. Default false (the size given to the export is declared). Not available when preprocessing is inside the graph.
    /// </summary>
    public bool DynamicSize { get; set; }

    /// <summary>ONNX opset version written, <see cref="MinOpset"/> to <see cref="MaxOpset"/>. Default 17.</summary>
    public int Opset { get; set; } = 17;

    /// <summary>What the model outputs; null: <see cref="OnnxOutput.Logits"/> for a network with a classifier, else <see cref="OnnxOutput.Features"/>.</summary>
    public OnnxOutput? Output { get; set; }

    /// <summary>
    /// A trained detector's export only: end the graph with ONNX <c>NonMaxSuppression</c> (per class, the transformer's score
    /// and IoU thresholds, then its most detections by score), so the file outputs the final detections of one image:
    /// <c>boxes</c> [K, 4] (x0, y0, x1, y1 in letterboxed input pixels), <c>scores</c> [K] and <c>labels</c> [K] (int64 class
    /// index), best first. Needs <see cref="DynamicBatch"/> false (one image per run). Default false.
    /// </summary>
    public bool IncludeNms { get; set; }

    /// <summary>Global pooling for <see cref="OnnxOutput.Features"/>. Default average.</summary>
    public GlobalPooling Pooling { get; set; } = GlobalPooling.Average;

    internal void Validate()
    {
        if (Opset is < MinOpset or > MaxOpset)
            throw new ArgumentOutOfRangeException(nameof(Opset), Opset, $"The ONNX opset must be between {MinOpset} and {MaxOpset}.");
        if (Output is { } output && !Enum.IsDefined(output))
            throw new ArgumentOutOfRangeException(nameof(Output), output, "Unknown ONNX output.");
        if (!Enum.IsDefined(Pooling)) throw new ArgumentOutOfRangeException(nameof(Pooling), Pooling, "Unknown pooling.");
    }
}
