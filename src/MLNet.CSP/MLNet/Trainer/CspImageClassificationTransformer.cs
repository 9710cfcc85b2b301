using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.CSP.Imaging;
using MLNet.CSP.MLNet.Data;

namespace MLNet.CSP.MLNet.Trainer;

/// <summary>
/// A trained CSP image classifier: appends <c>Score</c> (class probabilities) and <c>PredictedLabel</c> (the
/// label's key type). Streams in batches, serves <c>PredictionEngine</c>s, saves with <c>mlContext.Model.Save</c>.
/// </summary>
public sealed class CspImageClassificationTransformer : ITransformer, IDisposable
{
    internal CspImageClassificationTransformer(ClassifierSettings settings, InferenceNetwork network)
    {
        Settings = settings;
        Network = network;
    }

    internal ClassifierSettings Settings { get; }

    internal InferenceNetwork Network { get; }

    /// <summary>The trained network's architecture.</summary>
    public string Architecture => Network.Backbone.Architecture;

    /// <summary>Number of classes.</summary>
    public int Classes => Settings.Classes;

    /// <summary>Class names in key order, when the label had text key values.</summary>
    public IReadOnlyList<string>? ClassNames => Settings.ClassNames;

    /// <summary>How images are resized, cropped and normalised.</summary>
    public ImagePreprocessing Preprocessing => Network.Preprocessing;

    /// <summary>The trained network (for saving a checkpoint with <c>Checkpoint.Save</c>, e.g. for transfer learning).</summary>
    public Models.Backbone Model => Network.Backbone;

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => CreateMapping(inputSchema).OutputSchema;

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new AppendingDataView(input, CreateMapping(input.Schema), Network.Preprocessing, Settings.BatchSize, Network.Probabilities);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        new AppendingRowMapper(CreateMapping(inputSchema), Network.Preprocessing, Network.Probabilities);

    void ICanSaveModel.Save(ModelSaveContext ctx) => ClassifierPersistence.Save(ctx, this);

    /// <summary>Releases the network's native memory.</summary>
    public void Dispose() => Network.Dispose();

    private ColumnMapping CreateMapping(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var kind = ImageColumn.Check(inputSchema, Settings.ImageColumnName);
        var names = KeyValues.ToAnnotations(Settings.ClassNames);
        return new ColumnMapping(inputSchema, Settings.ImageColumnName, kind,
        [
            AppendedColumn.Vector(Settings.ScoreColumnName, 0, Classes),
            AppendedColumn.ArgMax(Settings.PredictedLabelColumnName, new KeyDataViewType(typeof(uint), Classes), 0, Classes, names),
        ]);
    }
}
