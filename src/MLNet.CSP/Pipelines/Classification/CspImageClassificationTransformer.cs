namespace MLNet.CSP.Pipelines.Classification;

/// <summary>
/// A trained CSP image classifier: appends <c>Score</c> (class probabilities) and <c>PredictedLabel</c> (the
/// label's key type). Streams in batches, serves <c>PredictionEngine</c>s, saves with <c>mlContext.Model.Save</c>.
/// </summary>
public sealed class CspImageClassificationTransformer : CspImageTransformer
{
    private readonly IHost host;

    internal CspImageClassificationTransformer(IHostEnvironment env, ClassifierSettings settings, InferenceNetwork network)
        : base(network, settings.ImageColumnName, settings.BatchSize)
    {
        host = env.Register(nameof(CspImageClassificationTransformer));
        Settings = settings;
    }

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

    private protected override (OnnxOutput, GlobalPooling, IReadOnlyList<string>?) OnnxHead(OnnxOutput? requested) =>
        (requested ?? OnnxOutput.Probabilities, GlobalPooling.Average, ClassNames);

    private protected override void Save(ModelSaveContext ctx) => ClassifierPersistence.Save(ctx, this);

    /// <summary>
    /// When the data carries the training's label column, counts the rows whose label is missing (a value training never
    /// saw becomes the missing key in <c>MapValueToKey</c>) and warns on ML.NET's log channel: ML.NET's <c>Evaluate</c>
    /// leaves those rows out of every metric without a word. Reads only the label column.
    /// </summary>
    private protected override void Inspect(IDataView input)
    {
        if (input.Schema.GetColumnOrNull(Settings.LabelColumnName) is not { Type: KeyDataViewType { RawType: var raw } } label || raw != typeof(uint)) return;
        MissingLabels = CountMissing(input, label);
        if (MissingLabels.Missing == 0) return;
        using var channel = host.Start("Labels");
        channel.Warning($"{MissingLabels.Missing} of {MissingLabels.Rows} rows have no label in column '{Settings.LabelColumnName}' (a value not seen in " +
            "training maps to the missing key); ML.NET's Evaluate leaves such rows out of every metric.");
    }

    /// <summary>Rows without a label in the data of the last batch <c>Transform</c> that carried the label column.</summary>
    public (long Missing, long Rows) MissingLabels { get; private set; }

    private static (long Missing, long Rows) CountMissing(IDataView input, DataViewSchema.Column label)
    {
        long missing = 0, rows = 0;
        using var cursor = input.GetRowCursor([label]);
        var getter = cursor.GetGetter<uint>(label);
        uint key = 0;
        while (cursor.MoveNext())
        {
            getter(ref key);
            rows++;
            if (key == 0) missing++;
        }
        return (missing, rows);
    }
}
