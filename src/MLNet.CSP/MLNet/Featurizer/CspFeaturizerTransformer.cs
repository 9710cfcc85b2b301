using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.CSP.Imaging;
using MLNet.CSP.Models;
using MLNet.CSP.MLNet.Data;

namespace MLNet.CSP.MLNet.Featurizer;

/// <summary>
/// A fitted CSP featurizer: appends the pooled backbone features of each row's image as a known-size float
/// vector. Streams (one batch of images in memory at a time), serves <c>PredictionEngine</c>s on any number of
/// threads, and saves with <c>mlContext.Model.Save</c> (weights included).
/// </summary>
public sealed class CspFeaturizerTransformer : ITransformer, IDisposable
{
    internal CspFeaturizerTransformer(FeaturizerSettings settings, InferenceNetwork network)
    {
        Settings = settings;
        Network = network;
    }

    internal FeaturizerSettings Settings { get; }

    internal InferenceNetwork Network { get; }

    /// <summary>The image column read.</summary>
    public string InputColumnName => Settings.InputColumnName;

    /// <summary>The feature column written.</summary>
    public string OutputColumnName => Settings.OutputColumnName;

    /// <summary>The backbone architecture.</summary>
    public string Architecture => Network.Backbone.Architecture;

    /// <summary>Length of the feature vector.</summary>
    public int NumFeatures => Network.NumFeatures;

    /// <summary>How images are resized, cropped and normalised.</summary>
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
        return new AppendingDataView(input, mapping, Network.Preprocessing, Settings.BatchSize, Network.Extract);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        new AppendingRowMapper(CreateMapping(inputSchema), Network.Preprocessing, Network.Extract);

    void ICanSaveModel.Save(ModelSaveContext ctx) => FeaturizerPersistence.Save(ctx, this);

    /// <summary>Releases the network's native memory.</summary>
    public void Dispose() => Network.Dispose();

    private ColumnMapping CreateMapping(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var kind = ImageColumn.Check(inputSchema, InputColumnName);
        return new ColumnMapping(inputSchema, InputColumnName, kind,
            [AppendedColumn.Vector(OutputColumnName, 0, NumFeatures)]);
    }
}
