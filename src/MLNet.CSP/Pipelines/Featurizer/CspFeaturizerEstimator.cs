namespace MLNet.CSP.Pipelines.Featurizer;

/// <summary>
/// Estimator of <c>mlContext.Transforms.CspFeaturize</c>: turns an image column into the pooled features of a
/// frozen CSP (or reference) backbone. <see cref="Fit"/> loads the network; it does not read the data.
/// </summary>
public sealed class CspFeaturizerEstimator : CspEstimator<CspFeaturizerOptions, CspFeaturizerTransformer>
{
    internal CspFeaturizerEstimator(IHostEnvironment env, CspFeaturizerOptions options) : base(env, options, nameof(CspFeaturizerEstimator))
    {
    }

    private protected override IEnumerable<SchemaShape.Column> AppendedColumns(SchemaShape inputSchema)
    {
        ImageColumn.Check(inputSchema, InputColumnName);
        return [MLNetInternals.VectorColumn(options.OutputColumnName, NumberDataViewType.Single)];
    }

    /// <inheritdoc />
    public override CspFeaturizerTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ImageColumn.Check(input.Schema, InputColumnName);
        using var threads = TorchThreads.Use(options.TorchThreads);
        var (device, preprocessing) = NetworkSetup.Prepare(host, options);
        // Without a checkpoint the weights are drawn from the MLContext's seed, so they are repeatable.
        var backbone = NetworkSetup.Create(options, numClasses: 0, host.Rand.Next());
        var settings = new FeaturizerSettings(InputColumnName, options.OutputColumnName, options.BatchSize, options.Device, options.FallbackToCpu, options.InferenceEngine);
        return new CspFeaturizerTransformer(settings, new InferenceNetwork(backbone, preprocessing, options.Pooling, device, options.TorchThreads, options.InferenceEngine));
    }

    private string InputColumnName => options.InputColumnName ?? options.OutputColumnName;

}
