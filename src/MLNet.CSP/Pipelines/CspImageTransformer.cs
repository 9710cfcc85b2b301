namespace MLNet.CSP.Pipelines;

/// <summary>
/// What every MLNet.CSP transformer is: a network on a device that appends computed columns to the rows of an image column,
/// batch by batch in <c>Transform</c> and row by row in a <c>PredictionEngine</c>. Derived transformers say which columns and
/// how they are saved.
/// </summary>
public abstract class CspImageTransformer : ITransformer, IDisposable
{
    private protected CspImageTransformer(InferenceNetwork network, string imageColumnName, int batchSize)
    {
        Network = network;
        ImageColumnName = imageColumnName;
        BatchSize = batchSize;
    }

    internal InferenceNetwork Network { get; }

    /// <summary>Name of the image column read.</summary>
    public string ImageColumnName { get; }

    /// <summary>Images per forward pass in <c>Transform</c>.</summary>
    public int BatchSize { get; }

    /// <summary>Registered name of the network.</summary>
    public string Architecture => Network.Backbone.Architecture;

    /// <summary>How images become network input (size, crop, interpolation, normalisation).</summary>
    public ImagePreprocessing Preprocessing => Network.Preprocessing;

    /// <summary>The torch device the network runs on.</summary>
    public string Device => Network.Device.ToString();

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => CreateMapping(inputSchema).OutputSchema;

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var mapping = CreateMapping(input.Schema);
        Inspect(input);
        return new AppendingDataView(input, mapping, BatchSize, Computation());
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        new AppendingRowMapper(CreateMapping(inputSchema), Computation());

    private RowComputation Computation() => new(image => ImageTensors.Preprocess(image, Network.Preprocessing), (images, _, destination) => Compute(images, destination));

    void ICanSaveModel.Save(ModelSaveContext ctx) => Save(ctx);

    /// <summary>
    /// Writes the network with its preprocessing as an ONNX model, to run without libtorch (ONNX Runtime, or ML.NET's
    /// <c>ApplyOnnxModel</c>). The graph takes <c>image</c> [N, 3, R, R]: planar RGB pixels 0..255 of the image resized with its
    /// shorter side to R = <see cref="ImagePreprocessing.ResizeSize"/> and center-cropped square, which
    /// <see cref="OnnxExportInfo.CreateImagePipeline"/> builds in ML.NET; the graph crops to the network's size and normalises.
    /// The classifier outputs <c>probabilities</c>, the featurizer <c>features</c>.
    /// </summary>
    /// <param name="path">The .onnx file to write (replaced if it exists; an earlier file survives a failed export).</param>
    /// <param name="options">Batch symbol, opset, output; defaults when null. <see cref="OnnxExportOptions.DynamicSize"/> is not available.</param>
    public OnnxExportInfo ExportOnnx(string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return OnnxFiles.Write(path, stream => ExportOnnx(stream, options));
    }

    /// <summary>Writes the network with its preprocessing as an ONNX model to a stream; see <see cref="ExportOnnx(string, OnnxExportOptions?)"/>.</summary>
    /// <param name="stream">The stream the ONNX model is written to.</param>
    /// <param name="options">Batch symbol, opset, output; defaults when null.</param>
    public OnnxExportInfo ExportOnnx(Stream stream, OnnxExportOptions? options = null)
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

    /// <summary>Releases the network.</summary>
    public void Dispose()
    {
        Network.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The appended columns, for a batch of preprocessed images: values into the destination, row after row.</summary>
    private protected abstract void Compute(TorchSharp.torch.Tensor images, Span<float> destination);

    /// <summary>Looks at the data a batch <c>Transform</c> is given (e.g. to warn about rows other components will skip).</summary>
    private protected virtual void Inspect(IDataView input)
    {
    }

    /// <summary>The columns this transformer appends.</summary>
    private protected abstract IReadOnlyList<AppendedColumn> Columns();

    /// <summary>Writes the model (settings and weights) for <c>mlContext.Model.Save</c>.</summary>
    private protected abstract void Save(ModelSaveContext ctx);

    private ColumnMapping CreateMapping(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var kind = ImageColumn.Check(inputSchema, ImageColumnName);
        return new ColumnMapping(inputSchema, ImageColumnName, kind, Columns());
    }
}
