namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>How the search spends its time budget.</summary>
public enum CspSearchStrategy
{
    /// <summary>
    /// Featurize once per architecture and image size and rank fast ML.NET heads on the features, then fine-tune the best
    /// candidates by successive halving over epochs (promoted trials resume from their checkpoints). The default.
    /// </summary>
    TwoStage,
    /// <summary>The first stage alone, with the whole budget: frozen features and ML.NET heads.</summary>
    FrozenFeaturesOnly,
    /// <summary>Random search: sampled fine-tuning configurations, each trained for the full <c>MaxEpochs</c> (a baseline).</summary>
    RandomSearch,
}
