namespace MLNet.CSP.Pipelines.Classification;

/// <summary>
/// A trained CSP image classifier: appends <c>Score</c> (class probabilities) and <c>PredictedLabel</c> (the
/// label's key type). Streams in batches, serves <c>PredictionEngine</c>s, saves with <c>mlContext.Model.Save</c>.
/// </summary>
public sealed class CspImageClassificationTransformer : CspImageTransformer
{
    internal CspImageClassificationTransformer(ClassifierSettings settings, InferenceNetwork network)
        : base(network, settings.ImageColumnName, settings.BatchSize) => Settings = settings;

    internal ClassifierSettings Settings { get; }

    /// <summary>Number of classes.</summary>
    public int Classes => Settings.Classes;

    /// <summary>The label's values in key order, when the training label carried them.</summary>
    public IReadOnlyList<string>? ClassNames => Settings.ClassNames;

    /// <summary>The trained network (eval mode, inference fast path).</summary>
    public Models.Backbone Model => Network.Backbone;

    private protected override void Compute(TorchSharp.torch.Tensor images, Span<float> destination) => Network.Probabilities(images, destination);

    private protected override IReadOnlyList<AppendedColumn> Columns() =>
    [
        AppendedColumn.Vector(Settings.ScoreColumnName, 0, Classes),
        AppendedColumn.ArgMax(Settings.PredictedLabelColumnName, new KeyDataViewType(typeof(uint), Classes), 0, Classes, KeyValues.ToAnnotations(Settings.ClassNames)),
    ];

    private protected override void Save(ModelSaveContext ctx) => ClassifierPersistence.Save(ctx, this);
}
