namespace MLNet.CSP.Pipelines.Classification;

/// <summary>What a trained classifier keeps besides its network (saved with the model).</summary>
internal sealed record ClassifierSettings(
    string ImageColumnName,
    string LabelColumnName,
    string ScoreColumnName,
    string PredictedLabelColumnName,
    int Classes,
    string[]? ClassNames,
    int BatchSize,
    string? Device,
    bool? FallbackToCpu,
    InferenceEngine Engine);
