namespace MLNet.CSP.Pipelines;

/// <summary>
/// A backbone network's transformer (the featurizer and the classifier): images resized and center-cropped as the
/// architecture's preprocessing says, a pooled feature vector or class probabilities per row.
/// </summary>
public abstract class CspImageTransformer : CspTransformer
{
    private protected CspImageTransformer(InferenceNetwork network, string imageColumnName, int batchSize)
        : base(imageColumnName, batchSize) => Network = network;

    internal InferenceNetwork Network { get; }

    /// <summary>Registered name of the network.</summary>
    public string Architecture => Network.Backbone.Architecture;

    /// <summary>How images become network input (size, crop, interpolation, normalisation).</summary>
    public ImagePreprocessing Preprocessing => Network.Preprocessing;

    /// <inheritdoc />
    public override InferenceEngine Engine => Network.Engine;

    /// <summary>The torch device the network runs on.</summary>
    public string Device => Network.Device.ToString();

    /// <summary>
    /// Writes the network with its preprocessing as an ONNX model, to run without libtorch (ONNX Runtime, or ML.NET's
    /// <c>ApplyOnnxModel</c>). The graph takes <c>image</c> [N, 3, R, R]: planar RGB pixels 0..255 of the image resized with its
    /// shorter side to R = <see cref="ImagePreprocessing.ResizeSize"/> and center-cropped square, which
    /// <see cref="OnnxExportInfo.CreateImagePipeline"/> builds in ML.NET; the graph crops to the network's size and normalises.
    /// The classifier outputs <c>probabilities</c>, the featurizer <c>features</c>.
    /// </summary>
    /// <param name="stream">The stream the ONNX model is written to.</param>
    /// <param name="options">Batch symbol, opset, output; defaults when null. <see cref="OnnxExportOptions.DynamicSize"/> is not available.</param>
    public override OnnxExportInfo ExportOnnx(Stream stream, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= new OnnxExportOptions();
        var (output, pooling, labels) = OnnxHead(options.Output);
        var resolved = new OnnxExportOptions
        {
            DynamicBatch = options.DynamicBatch, DynamicSize = options.DynamicSize, Opset = options.Opset, Output = output, Pooling = pooling,
        };
        int size = Preprocessing.ResizeSize;
        return OnnxModelWriter.Write(stream, Network.Backbone, new OnnxNetworkSpec(size, size, resolved, Preprocessing, labels));
    }

    /// <summary>The output an ONNX export writes for a requested one (null: this transformer's own), its pooling and class labels.</summary>
    private protected abstract (OnnxOutput Output, GlobalPooling Pooling, IReadOnlyList<string>? Labels) OnnxHead(OnnxOutput? requested);

    internal override int? Threads => Network.Threads;

    /// <inheritdoc />
    private protected override void Release() => Network.Dispose();

    /// <inheritdoc />
    private protected override Tensor Preprocess(MLImage image) => ImageTensors.Preprocess(image, Network.Preprocessing);

    /// <inheritdoc />
    private protected override void Compute(Tensor images, IReadOnlyList<(int Width, int Height)> sizes, Span<float> destination) => Compute(images, destination);

    /// <summary>The appended columns, for a batch of preprocessed images: values into the destination, row after row.</summary>
    private protected abstract void Compute(Tensor images, Span<float> destination);
}
