namespace MLNet.CSP.Pipelines;

/// <summary>
/// What every MLNet.CSP transformer is (featurizer, classifier, detector): a trained network that appends computed columns to
/// the rows of an image column, batch by batch in <c>Transform</c> (<see cref="BatchSize"/> images a forward pass) and row by
/// row in a <c>PredictionEngine</c> (safe from many threads), saved with <c>mlContext.Model.Save</c> and exportable to ONNX.
/// Derived transformers say how an image becomes input, what a batch computes, which columns and how they are saved.
/// </summary>
public abstract class CspTransformer : ITransformer, IDisposable
{
    private protected CspTransformer(string imageColumnName, int batchSize)
    {
        ImageColumnName = imageColumnName;
        BatchSize = batchSize;
    }

    /// <summary>Name of the image column read.</summary>
    public string ImageColumnName { get; }

    /// <summary>Images per forward pass in <c>Transform</c>.</summary>
    public int BatchSize { get; }

    /// <summary>
    /// What computes this transformer's outputs: <see cref="InferenceEngine.TorchSharp"/> or <see cref="InferenceEngine.OnnxRuntime"/>
    /// (the options' <see cref="CspNetworkOptions.InferenceEngine"/> resolved for this process and device).
    /// </summary>
    public abstract InferenceEngine Engine { get; }

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

    void ICanSaveModel.Save(ModelSaveContext ctx) => Save(ctx);

    /// <summary>Writes the network, with what the transformer does to images around it, as an ONNX model file.</summary>
    /// <param name="path">The .onnx file to write (replaced if it exists; an earlier file survives a failed export).</param>
    /// <param name="options">Batch symbol, opset, output; defaults when null.</param>
    public OnnxExportInfo ExportOnnx(string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return AtomicFile.Write(path, stream => ExportOnnx(stream, options));
    }

    /// <summary>Writes the network as an ONNX model to a stream; see <see cref="ExportOnnx(string, OnnxExportOptions?)"/>.</summary>
    /// <param name="stream">The stream the ONNX model is written to.</param>
    /// <param name="options">Batch symbol, opset, output; defaults when null.</param>
    public abstract OnnxExportInfo ExportOnnx(Stream stream, OnnxExportOptions? options = null);

    /// <summary>Releases the network.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the network (native memory).</summary>
    private protected abstract void Release();

    /// <summary>One row's image as network input [3, H, W] (every image of a transformer gives the same size).</summary>
    private protected abstract Tensor Preprocess(MLImage image);

    /// <summary>The appended columns for a batch of inputs and the images' original sizes: values into the destination, row after row.</summary>
    private protected abstract void Compute(Tensor images, IReadOnlyList<(int Width, int Height)> sizes, Span<float> destination);

    /// <summary>Looks at the data a batch <c>Transform</c> is given (e.g. to warn about rows other components will skip).</summary>
    private protected virtual void Inspect(IDataView input)
    {
    }

    /// <summary>The columns this transformer appends.</summary>
    private protected abstract IReadOnlyList<AppendedColumn> Columns();

    /// <summary>Writes the model (settings and weights) for <c>mlContext.Model.Save</c>.</summary>
    private protected abstract void Save(ModelSaveContext ctx);

    internal RowComputation Computation() => new(Preprocess, Compute);

    /// <summary>Floats one row's computed values take (the appended columns' layout).</summary>
    internal int ValuesPerRow => Columns().Max(c => c.Offset + c.Length);

    /// <summary>libtorch threads the network computes with (null: the calling thread's count).</summary>
    internal abstract int? Threads { get; }

    private ColumnMapping CreateMapping(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var kind = ImageColumn.Check(inputSchema, ImageColumnName);
        return new ColumnMapping(inputSchema, ImageColumnName, kind, Columns());
    }
}
