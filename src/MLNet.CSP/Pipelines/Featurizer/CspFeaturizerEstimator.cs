using MLNet.CSP.Backend;
using MLNet.CSP.Imaging;
using MLNet.CSP.Pipelines.Data;
using MLNet.CSP.Pipelines.Internal;
using MLNet.CSP.Weights;

namespace MLNet.CSP.Pipelines.Featurizer;

/// <summary>
/// Estimator of <c>mlContext.Transforms.CspFeaturize</c>: turns an image column into the pooled features of a
/// frozen CSP (or reference) backbone. <see cref="Fit"/> loads the network; it does not read the data.
/// </summary>
public sealed class CspFeaturizerEstimator : IEstimator<CspFeaturizerTransformer>
{
    private readonly IHost host;
    private readonly CspFeaturizerOptions options;

    internal CspFeaturizerEstimator(IHostEnvironment env, CspFeaturizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        host = env.Register(nameof(CspFeaturizerEstimator));
        this.options = Validate(options);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        ImageColumn.Check(inputSchema, InputColumnName);
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[options.OutputColumnName] = MLNetInternals.VectorColumn(options.OutputColumnName, NumberDataViewType.Single);
        return new SchemaShape(columns.Values);
    }

    /// <inheritdoc />
    public CspFeaturizerTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ImageColumn.Check(input.Schema, InputColumnName);
        using var threads = TorchThreads.Use(options.TorchThreads);
        var (device, preprocessing) = NetworkSetup.Prepare(host, options);
        // Without a checkpoint the weights are drawn from the MLContext's seed, so they are repeatable.
        var backbone = NetworkSetup.Create(options.Architecture, numClasses: 0, options.WeightsPath, host.Rand.Next());
        var settings = new FeaturizerSettings(InputColumnName, options.OutputColumnName, options.BatchSize, options.Device, options.FallbackToCpu);
        return new CspFeaturizerTransformer(settings, new InferenceNetwork(backbone, preprocessing, options.Pooling, device, options.TorchThreads));
    }

    private string InputColumnName => options.InputColumnName ?? options.OutputColumnName;

    private static CspFeaturizerOptions Validate(CspFeaturizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
