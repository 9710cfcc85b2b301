using Microsoft.ML.Transforms.Image;

namespace MLNet.CSP.Export.Onnx;

/// <summary>
/// What an ONNX export wrote: input and output names and shapes (-1 marks a symbolic dimension), the opset and, for a
/// trained ML.NET model, the preprocessing the graph does and the class labels (also stored in the file's metadata).
/// </summary>
public sealed record OnnxExportInfo(string InputName, IReadOnlyList<long> InputShape, string OutputName, IReadOnlyList<long> OutputShape,
    int Opset, ImagePreprocessing? Preprocessing, IReadOnlyList<string>? Labels)
{
    /// <summary>Every output of the graph (a detector has <c>boxes</c> and <c>scores</c>; <see cref="OutputName"/> is the first).</summary>
    public IReadOnlyList<string> OutputNames { get; init; } = [OutputName];

    /// <summary>
    /// The graph takes letterboxed images (a detector's: fitted into the square, centred, grey 114 around; see
    /// <see cref="Letterbox"/>) rather than the resize-and-center-crop of <see cref="CreateImagePipeline"/>.
    /// </summary>
    public bool Letterboxed { get; init; }

    /// <summary>
    /// The ML.NET steps that feed this model from an image column (e.g. after <c>LoadImages</c>): <c>ResizeImages</c> to the graph's
    /// square input with ML.NET's iso-crop (shorter side to the resize size, center), then <c>ExtractPixels</c> into the column
    /// <see cref="InputName"/> as planar RGB 0..255. Append <c>ApplyOnnxModel</c> (Microsoft.ML.OnnxTransformer) to run the model.
    /// Only for exports of trained models, whose graph crops and normalises.
    /// </summary>
    public EstimatorChain<ImagePixelExtractingTransformer> CreateImagePipeline(MLContext mlContext, string imageColumnName)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrEmpty(imageColumnName);
        if (Preprocessing is null)
            throw new InvalidOperationException("This export takes normalised tensors ('" + InputName + "'); only exports of trained ML.NET models take images.");
        if (Letterboxed)
            throw new InvalidOperationException("A detector's graph takes letterboxed images, which ML.NET's ResizeImages does not make: " +
                "feed it Letterbox.Place(image, size) * 255 and map the boxes back with Letterbox.For(width, height, size).");
        int size = (int)InputShape[2];
        return mlContext.Transforms.ResizeImages(InputName, size, size, imageColumnName, ImageResizingEstimator.ResizingKind.IsoCrop, ImageResizingEstimator.Anchor.Center)
            .Append(mlContext.Transforms.ExtractPixels(InputName, InputName, interleavePixelColors: false));
    }
}
