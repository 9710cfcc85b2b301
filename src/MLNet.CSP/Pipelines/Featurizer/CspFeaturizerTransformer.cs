namespace MLNet.CSP.Pipelines.Featurizer;

/// <summary>
/// A fitted CSP featurizer: appends the pooled backbone features of each row's image as a known-size float
/// vector. Streams (one batch of images in memory at a time), serves <c>PredictionEngine</c>s on any number of
/// threads, and saves with <c>mlContext.Model.Save</c> (weights included).
/// </summary>
public sealed class CspFeaturizerTransformer : CspImageTransformer
{
    internal CspFeaturizerTransformer(FeaturizerSettings settings, InferenceNetwork network)
        : base(network, settings.InputColumnName, settings.BatchSize) => Settings = settings;

    internal FeaturizerSettings Settings { get; }

    /// <summary>Name of the image column read.</summary>
    public string InputColumnName => Settings.InputColumnName;

    /// <summary>Name of the feature column written.</summary>
    public string OutputColumnName => Settings.OutputColumnName;

    /// <summary>Length of the feature vector.</summary>
    public int NumFeatures => Network.NumFeatures;

    private protected override void Compute(TorchSharp.torch.Tensor images, Span<float> destination) => Network.Extract(images, destination);

    private protected override IReadOnlyList<AppendedColumn> Columns() => [AppendedColumn.Vector(OutputColumnName, 0, NumFeatures)];

    private protected override (OnnxOutput, GlobalPooling, IReadOnlyList<string>?) OnnxHead(OnnxOutput? requested) =>
        requested is null or OnnxOutput.Features
            ? (OnnxOutput.Features, Network.Pooling, null)
            : throw new ArgumentException($"A featurizer exports {OnnxOutput.Features}, not {requested}.", nameof(requested));

    private protected override void Save(ModelSaveContext ctx) => FeaturizerPersistence.Save(ctx, this);
}
