namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>Which part of the search ran a trial.</summary>
public enum CspSearchStage
{
    /// <summary>Frozen backbone features and an ML.NET head.</summary>
    Features,
    /// <summary>Fine-tuning with <c>CspImageClassification</c>, one rung of successive halving (or a full-length random trial).</summary>
    FineTune,
    /// <summary>The winning configuration trained again on the training and validation data together (no metric: nothing is left to validate on).</summary>
    FinalFit,
}
