namespace MLNet.CSP.Pipelines.Detection;

/// <summary>What a trained detector keeps besides its network (saved with the model).</summary>
internal sealed record DetectorSettings(
    string ImageColumnName,
    string LabelColumnName,
    string BoundingBoxColumnName,
    string PredictedLabelColumnName,
    string ScoreColumnName,
    string PredictedBoundingBoxColumnName,
    int Classes,
    string[]? ClassNames,
    float ScoreThreshold,
    float IouThreshold,
    int MaxDetections,
    int BatchSize,
    string? Device,
    bool? FallbackToCpu,
    InferenceEngine Engine);
