using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.CSP.Imaging;
using MLNet.CSP.Models;
using MLNet.CSP.MLNet.Data;
using MLNet.CSP.MLNet.Internal;
using MLNet.CSP.Weights;
using TorchSharp;

namespace MLNet.CSP.MLNet.Featurizer;

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
        var (device, preprocessing) = NetworkSetup.Prepare(host, options.Architecture, options.TorchThreads, options.Device,
            options.FallbackToCpu, options.ImageSize, options.CropFraction, options.Interpolation, options.Mean, options.Std);
        // Without a checkpoint the weights are drawn from the MLContext's seed, so they are repeatable.
        var backbone = NetworkSetup.Create(options.Architecture, numClasses: 0, options.WeightsPath, host.Rand.Next());
        var settings = new FeaturizerSettings(InputColumnName, options.OutputColumnName, options.BatchSize, options.Device, options.FallbackToCpu);
        return new CspFeaturizerTransformer(settings, new InferenceNetwork(backbone, preprocessing, options.Pooling, device));
    }

    private string InputColumnName => options.InputColumnName ?? options.OutputColumnName;

    private static CspFeaturizerOptions Validate(CspFeaturizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName, nameof(options.OutputColumnName));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options.BatchSize));
        if (options.ImageSize is int size) ArgumentOutOfRangeException.ThrowIfLessThan(size, 1, nameof(options.ImageSize));
        if (options.TorchThreads is int threads) ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1, nameof(options.TorchThreads));
        Backbones.GetConfig(options.Architecture); // unknown names fail here, listing the registered ones
        if (options.WeightsPath is not null && !File.Exists(options.WeightsPath))
            throw new FileNotFoundException($"Weights file '{options.WeightsPath}' was not found.", options.WeightsPath);
        return options;
    }
}
