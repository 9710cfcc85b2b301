
namespace MLNet.CSP.Pipelines.Featurizer;

/// <summary>What a fitted featurizer keeps of its options (saved with the model).</summary>
internal sealed record FeaturizerSettings(
    string InputColumnName,
    string OutputColumnName,
    int BatchSize,
    string? Device,
    bool? FallbackToCpu,
    InferenceEngine Engine);
