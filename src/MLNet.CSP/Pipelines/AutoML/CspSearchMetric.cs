namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>What the search optimises, measured on the validation data by ML.NET's multiclass evaluator.</summary>
public enum CspSearchMetric
{
    /// <summary>Share of validation images classified correctly (higher is better).</summary>
    MicroAccuracy,
    /// <summary>Mean of the per-class accuracies (higher is better; for unbalanced classes).</summary>
    MacroAccuracy,
    /// <summary>Cross-entropy of the predicted probabilities (lower is better).</summary>
    LogLoss,
}
