using Microsoft.ML.Transforms.Image;

namespace MLNet.CSP.Export.Onnx;

/// <summary>
/// What an ONNX export wrote: input and output names and shapes (-1 marks a symbolic dimension), the opset and, for a
/// trained ML.NET model, the preprocessing the graph does and the class labels (also stored in the file's metadata).
/// </summary>
public sealed record OnnxExportInfo(string InputName, IReadOnlyList<long> InputShape, string OutputName, IReadOnlyList<long> OutputShape,
    int Opset, ImagePreprocessing? Preprocessing, IReadOnlyList<string>? Labels)
{
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
        int size = (int)InputShape[2];
        return mlContext.Transforms.ResizeImages(InputName, size, size, imageColumnName, ImageResizingEstimator.ResizingKind.IsoCrop, ImageResizingEstimator.Anchor.Center)
            .Append(mlContext.Transforms.ExtractPixels(InputName, InputName, interleavePixelColors: false));
    }
}
