using MLNet.CSP.Pipelines.Featurizer;
using MLNet.CSP.Pipelines;

namespace Microsoft.ML;

/// <summary>MLNet.CSP transforms on <c>mlContext.Transforms</c>.</summary>
public static class CspTransformsCatalog
{
    /// <summary>
    /// Appends the pooled features of a frozen CSP backbone for each image: a known-size float vector.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">Name of the feature column.</param>
    /// <param name="inputColumnName">Image column (<c>LoadImages</c> output or encoded bytes); null: <paramref name="outputColumnName"/>.</param>
    /// <param name="architecture">Registered backbone name, e.g. <c>cspresnext50</c>.</param>
    /// <param name="weightsPath">Checkpoint (<c>.safetensors</c>/<c>.pth</c>); null: random weights from the context's seed.</param>
    public static CspFeaturizerEstimator CspFeaturize(this TransformsCatalog catalog, string outputColumnName,
        string? inputColumnName = null, string architecture = CspDefaults.FeaturizerArchitecture, string? weightsPath = null) =>
        CspFeaturize(catalog, new CspFeaturizerOptions
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            Architecture = architecture,
            WeightsPath = weightsPath,
        });

    /// <summary>Appends the pooled features of a frozen CSP backbone, configured by <paramref name="options"/>.</summary>
    public static CspFeaturizerEstimator CspFeaturize(this TransformsCatalog catalog, CspFeaturizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CspFeaturizerEstimator(MLNetInternals.GetEnvironment(catalog), options);
    }
}
