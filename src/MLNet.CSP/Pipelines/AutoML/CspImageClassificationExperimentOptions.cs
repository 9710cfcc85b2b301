using MLNet.CSP.Pipelines.Classification;

namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// Settings of <see cref="CspImageClassificationExperiment"/> (every one also has a <c>Set...</c> method on the experiment;
/// defaults are in <see cref="CspDefaults"/>).
/// </summary>
public sealed class CspImageClassificationExperimentOptions
{
    /// <summary>Label column: a key, or any type <c>MapValueToKey</c> accepts (the model then maps it itself).</summary>
    public string LabelColumnName { get; set; } = CspDefaults.LabelColumnName;

    /// <summary>Image column (<c>LoadImages</c> output or encoded bytes).</summary>
    public string ImageColumnName { get; set; } = CspDefaults.ImageColumnName;

    /// <summary>Wall-clock budget of the whole search; it returns within a few seconds of it.</summary>
    public uint TrainingTimeInSeconds { get; set; } = CspDefaults.SearchTimeInSeconds;

    /// <summary>What the search optimises on the validation data.</summary>
    public CspSearchMetric Metric { get; set; } = CspSearchMetric.MicroAccuracy;

    /// <summary>How the budget is spent.</summary>
    public CspSearchStrategy Strategy { get; set; } = CspSearchStrategy.TwoStage;

    /// <summary>Seed of the sampler and of every trial; null draws one from the MLContext's seed.</summary>
    public int? Seed { get; set; }

    /// <summary>
    /// Where the trial history (<c>trials.csv</c>) and the fine-tuning checkpoints go. A later run with the same directory, data
    /// and seed reads finished trials back instead of running them again, and promoted trials resume from their checkpoints.
    /// Null: a temporary directory, deleted at the end.
    /// </summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>
    /// Cap on the epochs of the longest fine-tuning trial. Null (default): successive halving stretches its rungs (1/3/9 epochs,
    /// 2/6/18, ...) to fill the time left; random search trains <see cref="CspDefaults.Epochs"/> per trial.
    /// </summary>
    public int? MaxEpochs { get; set; }

    /// <summary>Successive halving keeps one trial in this many at each rung and multiplies the epochs by it.</summary>
    public int ReductionFactor { get; set; } = CspDefaults.SearchReductionFactor;

    /// <summary>
    /// Share of the budget the frozen-features stage may take before fine-tuning starts (two-stage strategy). While the search
    /// has no model yet, its first combination may run past the share (a slow start still gets a result).
    /// </summary>
    public double FeatureStageFraction { get; set; } = CspDefaults.SearchFeatureStageFraction;

    /// <summary>
    /// Share of the budget kept back (two-stage strategy) for the final fit: the winning configuration trained again on the
    /// training and validation images together (fine-tuned from scratch for as many epochs as fit, at least as many as it won
    /// with; or its head fitted again on frozen features). 0 returns the winning trial's own model.
    /// </summary>
    public double FinalFitFraction { get; set; } = CspDefaults.SearchFinalFitFraction;

    /// <summary>Share of the data held out for validation by <see cref="CspImageClassificationExperiment.SetDataset(IDataView, double)"/>.</summary>
    public double ValidationFraction { get; set; } = CspDefaults.SearchValidationFraction;

    /// <summary>Center-crop fraction of every trial (null: the network's pretrained one); 1 keeps small images whole.</summary>
    public double? CropFraction { get; set; }

    /// <summary>Images per optimisation step when fine-tuning.</summary>
    public int BatchSize { get; set; } = CspDefaults.TrainingBatchSize;

    /// <summary>How fine-tuning trials hold their training images (see <see cref="CspTrainingOptions.CacheMode"/>).</summary>
    public CspCacheMode CacheMode { get; set; } = CspDefaults.CacheMode;

    /// <summary>libtorch threads while trials compute (null leaves the process's count).</summary>
    public int? TorchThreads { get; set; }

    /// <summary>"cpu", "cuda" or "cuda:N" for every trial; null follows the MLContext.</summary>
    public string? Device { get; set; }

    /// <summary>The longest budget a timer can hold (about 24 days).</summary>
    public const uint MaxTrainingTimeInSeconds = int.MaxValue / 1000;

    /// <summary>Where the search's time comes from: the system's; tests pass a fake clock so time is an input, not an outcome.</summary>
    internal TimeProvider Time { get; set; } = TimeProvider.System;

    internal CspImageClassificationExperimentOptions Clone() => (CspImageClassificationExperimentOptions)MemberwiseClone();

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(LabelColumnName, nameof(LabelColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(ImageColumnName, nameof(ImageColumnName));
        ArgumentOutOfRangeException.ThrowIfLessThan(TrainingTimeInSeconds, 1u, nameof(TrainingTimeInSeconds));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(TrainingTimeInSeconds, MaxTrainingTimeInSeconds, nameof(TrainingTimeInSeconds));
        if (!Enum.IsDefined(Metric)) throw new ArgumentOutOfRangeException(nameof(Metric), Metric, "Unknown metric.");
        if (!Enum.IsDefined(Strategy)) throw new ArgumentOutOfRangeException(nameof(Strategy), Strategy, "Unknown strategy.");
        if (!Enum.IsDefined(CacheMode)) throw new ArgumentOutOfRangeException(nameof(CacheMode), CacheMode, "Unknown cache mode.");
        if (MaxEpochs is int maxEpochs) ArgumentOutOfRangeException.ThrowIfLessThan(maxEpochs, 1, nameof(MaxEpochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReductionFactor, 2, nameof(ReductionFactor));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 2, nameof(BatchSize));
        if (!(FeatureStageFraction > 0 && FeatureStageFraction <= 1)) throw new ArgumentOutOfRangeException(nameof(FeatureStageFraction), FeatureStageFraction, "Must be in (0, 1].");
        if (!(FinalFitFraction >= 0 && FinalFitFraction < 1)) throw new ArgumentOutOfRangeException(nameof(FinalFitFraction), FinalFitFraction, "Must be in [0, 1).");
        if (Strategy == CspSearchStrategy.TwoStage && FinalFitFraction > 0 && FeatureStageFraction + FinalFitFraction >= 1)
            throw new ArgumentOutOfRangeException(nameof(FeatureStageFraction), FeatureStageFraction,
                FormattableString.Invariant($"With a FinalFitFraction of {FinalFitFraction}, fine-tuning gets no time: FeatureStageFraction + FinalFitFraction must be below 1."));
        if (!(ValidationFraction > 0 && ValidationFraction < 1)) throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "Must be in (0, 1).");
        if (CropFraction is double crop && !(crop > 0 && crop <= 1)) throw new ArgumentOutOfRangeException(nameof(CropFraction), crop, "Must be in (0, 1].");
        if (TorchThreads is int threads) ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1, nameof(TorchThreads));
    }
}
